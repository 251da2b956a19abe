import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

// How `npm start` opens Chromium on the app without putting a secret on Chromium's command line (which every local
// user can read with `ps`): the command line names a launcher page in a folder only we can enter (0700), the page
// itself is readable only by us (0600), and all it holds is a one-time code. The bridge deletes it as soon as the
// code is used or expires.

/** A folder only this user can enter: $XDG_RUNTIME_DIR (per-user, 0700, in memory) when there is one, else the temp folder. */
export function privateBaseDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && path.isAbsolute(runtime)) {
    try {
      const stats = statSync(runtime);
      const mine = typeof process.getuid !== 'function' || stats.uid === process.getuid();
      if (stats.isDirectory() && mine && (stats.mode & 0o077) === 0) return runtime;
    } catch {
      // Not there: fall back to the temp folder.
    }
  }
  return tmpdir();
}

export interface LauncherFile {
  path: string;
  /** What goes on Chromium's command line: names the page, carries no secret. */
  fileUrl: string;
  /** Deletes the page and its folder; safe to call more than once. */
  remove(): void;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Writes a page that sends the browser on to targetUrl (the app's address with a one-time code in its fragment). */
export function writeLauncherFile(targetUrl: string, baseDir: string = privateBaseDir()): LauncherFile {
  const dir = mkdtempSync(path.join(baseDir, 'zrd-launch-')); // mkdtemp creates it 0700
  const mode = statSync(dir).mode & 0o777;
  if (mode !== 0o700) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`The launcher folder ${dir} was created with mode ${mode.toString(8)}, not 700.`);
  }
  const filePath = path.join(dir, 'open.html');
  // JSON.stringify makes the URL a safe JS string; "<" is escaped so it cannot close the script element.
  const script = `location.replace(${JSON.stringify(targetUrl).replace(/</g, '\\u003c')});`;
  const page = [
    '<!doctype html>',
    '<meta charset="utf-8">',
    '<meta name="referrer" content="no-referrer">',
    '<title>ZFS Replication Desktop</title>',
    `<script>${script}</script>`,
    `<noscript><meta http-equiv="refresh" content="0;url=${html(targetUrl)}"></noscript>`,
    '<p>Opening ZFS Replication Desktop…</p>',
  ].join('\n');
  writeFileSync(filePath, page, { mode: 0o600, flag: 'wx' });
  return {
    path: filePath,
    fileUrl: pathToFileURL(filePath).href,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
