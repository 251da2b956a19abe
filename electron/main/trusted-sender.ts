import path from 'node:path';

/**
 * Whether an IPC message comes from our own page: the top frame (not an iframe) showing either the dev server's
 * origin or our renderer's index.html on disk. Anything else (a page we were somehow navigated to, an injected
 * frame) gets FORBIDDEN. Kept free of Electron imports so it is unit-tested in plain Node.
 */
export function isTrustedSenderUrl(
  frameUrl: string,
  isTopFrame: boolean,
  renderer: { devServerUrl?: string | undefined; indexFile: string },
): boolean {
  if (!isTopFrame) return false;
  let url: URL;
  try {
    url = new URL(frameUrl);
  } catch {
    return false;
  }
  if (renderer.devServerUrl) return url.origin === new URL(renderer.devServerUrl).origin;
  return url.protocol === 'file:' && path.normalize(decodeURIComponent(url.pathname)) === path.normalize(renderer.indexFile);
}
