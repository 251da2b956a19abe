import path from 'node:path';
import Conf from 'conf';
import { AppStore, openWithRecovery, storeOptions, type StoreData } from './app-store.ts';
import { resolveConfigDir } from './config-dir.ts';

/** The store as the CLI and the loopback bridge open it: plain conf, same file and options as the desktop app. */
export function openConfStore(configDir: string = resolveConfigDir()): AppStore {
  const options = storeOptions(configDir);
  const filePath = path.join(configDir, `${options.configName}.json`);
  const { conf, recovery } = openWithRecovery(() => new Conf<StoreData>(options), filePath);
  return new AppStore(conf, recovery);
}
