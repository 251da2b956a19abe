// Which addresses the app opens in the user's browser (shell.openExternal). A link in the renderer that is not
// listed here does nothing: a compromised or confused page must not make the OS open arbitrary URLs (custom
// protocol handlers, file: URLs, phishing pages). Add the documentation sites the UI links to here.

const allowed: { host: string; pathPrefix: string }[] = [
  { host: 'openzfs.github.io', pathPrefix: '/openzfs-docs/' },
  { host: 'openzfs.org', pathPrefix: '/' },
  { host: 'www.truenas.com', pathPrefix: '/docs/' },
  { host: 'github.com', pathPrefix: '/openzfs/' },
  { host: 'man.freebsd.org', pathPrefix: '/' },
  { host: 'man7.org', pathPrefix: '/linux/man-pages/' },
];

export function isAllowedExternalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.port !== '') return false;
  return allowed.some((entry) => url.hostname === entry.host && url.pathname.startsWith(entry.pathPrefix));
}
