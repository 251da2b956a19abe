import { existsSync } from 'node:fs';

// How `npm start` opens the browser-mode app in its own Chromium window. Every local user can read a process's
// command line (`ps`), so it names only the private launcher page (see launcher-file.ts), never a secret.

const candidates = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | undefined {
  return candidates.find((candidate) => existsSync(candidate));
}

/** Chromium's arguments for an app window on the launcher page, in a profile folder of its own. */
export function chromiumAppArgs(launcherFileUrl: string, profileDir: string): string[] {
  if (!launcherFileUrl.startsWith('file://')) throw new Error('Chromium opens the app through its launcher page only.');
  return [`--app=${launcherFileUrl}`, `--user-data-dir=${profileDir}`, '--no-first-run', '--disable-background-networking', '--disable-sync'];
}
