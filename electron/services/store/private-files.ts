import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

// Everything the app keeps on disk is for its user alone: folders 0700, files 0600 (the settings, secrets, run
// history, logs, keys). Windows has no POSIX modes (its profile folder is private by its ACLs), so modes are left
// to it there.

export const privateDirMode = 0o700;
export const privateFileMode = 0o600;

const posix = process.platform !== 'win32';

/** Creates `dir` (and missing parents, which get the same mode) private, or narrows an existing one to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: privateDirMode });
  narrowMode(dir, privateDirMode);
}

/** Narrows the mode of an existing file or folder to `mode` when it allows more (never widens); false when absent. */
export function narrowMode(file: string, mode: number): boolean {
  if (!posix) return true;
  let current: number;
  try {
    // lstat: a symlink is never followed to chmod whatever it points at.
    const info = lstatSync(file);
    if (info.isSymbolicLink()) return true;
    current = info.mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if ((current & ~mode) === 0) return true;
  try {
    chmodSync(file, current & mode);
  } catch (error) {
    // Not ours to change (another user's file, a read-only mount): leave it, the reads still work.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'EACCES' && code !== 'EROFS') throw error;
  }
  return true;
}

/**
 * Writes `data` to `file` so that a reader sees either the old or the new content, never a part: a 0600 temporary
 * file beside it, flushed, then renamed over it. A crash leaves at worst a `.tmp-*` file, never a torn settings file.
 */
export function writePrivateFileAtomic(file: string, data: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${randomBytes(6).toString('hex')}`);
  const fd = openSync(temporary, 'wx', privateFileMode);
  try {
    try {
      const bytes = Buffer.from(data, 'utf8');
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // openSync's mode is reduced by the umask only, never widened; chmod makes it exactly 0600 whatever the umask.
    if (posix) chmodSync(temporary, privateFileMode);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** True when `file` exists and is a regular file (not a folder, socket or the like). */
export function isRegularFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
