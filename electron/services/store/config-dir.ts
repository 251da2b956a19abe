import { homedir } from 'node:os';
import path from 'node:path';

export const productName = 'ZFS Replication Desktop';

/**
 * The folder Electron uses as app.getPath('userData') for this app, computed without Electron so that the
 * CLI and the loopback bridge open the very file the desktop app writes. ZRD_CONFIG_DIR overrides it
 * everywhere (the Electron main process honours it too), which is how tests get a private store.
 */
export function resolveConfigDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.ZRD_CONFIG_DIR) return path.resolve(env.ZRD_CONFIG_DIR);
  const home = env.HOME ?? homedir();
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', productName);
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), productName);
    default:
      return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), productName);
  }
}
