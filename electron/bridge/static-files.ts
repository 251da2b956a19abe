import { closeSync, constants, fstatSync, openSync, realpathSync } from 'node:fs';
import path from 'node:path';

// Which file of the built renderer a request path names, decided without trusting the filesystem: the path must
// stay inside the renderer folder, no component of it may be a symlink (one planted in the folder must not lead
// out of it), and source maps are never served (they carry the app's source; the packaged app leaves them out too).

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

// Windows has no O_NOFOLLOW; there the realpath comparison alone refuses links.
const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

export interface StaticFile {
  /** An open descriptor of the regular file; the caller streams it and closes it. */
  fd: number;
  size: number;
  contentType: string;
}

/** The renderer folder as the real path every served file must lie under (it may itself sit behind a link). */
export function rendererRoot(rendererDir: string): string {
  return realpathSync(path.resolve(rendererDir));
}

/**
 * Opens the file a decoded URL path names under root, or returns null (the caller answers 404) when it is outside
 * root, reached through a symlink, a source map, not a regular file, or missing.
 */
export function openStaticFile(root: string, pathname: string): StaticFile | null {
  if (pathname.includes('\0')) return null;
  const wanted = pathname === '/' ? '/index.html' : pathname;
  const filePath = path.resolve(root, `.${wanted}`);
  if (!filePath.startsWith(root + path.sep)) return null;
  if (path.extname(filePath).toLowerCase() === '.map') return null;
  let real: string;
  try {
    real = realpathSync(filePath);
  } catch {
    return null;
  }
  // Any symlink on the way (a folder or the file itself) makes the real path differ from the one asked for.
  if (real !== filePath) return null;
  let fd: number;
  try {
    fd = openSync(real, openFlags);
  } catch {
    return null;
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) {
      closeSync(fd);
      return null;
    }
    return { fd, size: stats.size, contentType: contentTypes[path.extname(real).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    closeSync(fd);
    return null;
  }
}
