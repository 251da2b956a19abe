import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { AppFailure } from '../../../shared/result.ts';

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

/**
 * Why `dir` cannot be used as an existing settings folder, or null when it can. The CLI reads settings and never
 * creates them by accident: a mistyped ZRD_CONFIG_DIR must not turn into an empty folder and "no tasks", exit 0.
 */
export function existingConfigDirProblem(dir: string, env: NodeJS.ProcessEnv = process.env): AppFailure | null {
  const named = env.ZRD_CONFIG_DIR ? ` (ZRD_CONFIG_DIR=${env.ZRD_CONFIG_DIR})` : '';
  let info;
  try {
    info = statSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return new AppFailure(
        'NOT_FOUND',
        `The settings folder ${dir}${named} does not exist.`,
        env.ZRD_CONFIG_DIR
          ? 'Check ZRD_CONFIG_DIR for a typo. Settings are created by the desktop app (start it once), by "zfs-replication connection add" or by "zfs-replication import"; this command only reads them.'
          : 'Settings are created by the desktop app (start it once), by "zfs-replication connection add" or by "zfs-replication import"; this command only reads them. Or point ZRD_CONFIG_DIR at a settings folder.',
        { path: dir, reason: 'missing' },
      );
    }
    if (code === 'ENOTDIR') return new AppFailure('INVALID_REQUEST', `The settings folder ${dir}${named} is inside a file, not a folder.`, 'Point ZRD_CONFIG_DIR at the folder that holds config.json.', { path: dir, reason: 'not-a-folder' });
    return new AppFailure('PERMISSION_DENIED', `The settings folder ${dir}${named} cannot be read (${code ?? (error as Error).message}).`, 'Run this as the user whose settings they are, or point ZRD_CONFIG_DIR at a folder of yours.', { path: dir, reason: code ?? 'unknown' });
  }
  if (!info.isDirectory()) {
    return new AppFailure('INVALID_REQUEST', `The settings folder ${dir}${named} is a file, not a folder.`, 'Point ZRD_CONFIG_DIR at the folder that holds config.json (not at config.json itself).', { path: dir, reason: 'not-a-folder' });
  }
  return null;
}
