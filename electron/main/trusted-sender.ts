import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RendererLocation {
  devServerUrl?: string | undefined;
  indexFile: string;
}

/**
 * Whether an IPC message comes from our own page: the top frame (not an iframe) showing either the dev server's
 * origin or our renderer's index.html on disk. Anything else (a page we were somehow navigated to, an injected
 * frame) gets FORBIDDEN. Kept free of Electron imports so it is unit-tested in plain Node; pathApi is the
 * platform's path module (path.win32 in the Windows tests).
 */
export function isTrustedSenderUrl(frameUrl: string, isTopFrame: boolean, renderer: RendererLocation, pathApi: path.PlatformPath = path): boolean {
  if (!isTopFrame) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (renderer.devServerUrl) return url.origin === new URL(renderer.devServerUrl).origin;
  if (url.protocol !== 'file:') return false;
  const windows = pathApi === path.win32;
  let filePath: string;
  try {
    // file:///C:/Program%20Files/… is C:\Program Files\… on Windows; a file URL with an encoded separator or (off
    // Windows) a host is refused here.
    filePath = fileURLToPath(url, { windows });
  } catch {
    return false;
  }
  const sent = pathApi.normalize(filePath);
  const ours = pathApi.normalize(renderer.indexFile);
  // Windows paths are case-insensitive (c:\ and C:\ are the same file).
  return windows ? sent.toLowerCase() === ours.toLowerCase() : sent === ours;
}
