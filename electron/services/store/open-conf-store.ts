import { openAppStore, type AppStore, type OpenAppStoreOptions } from './app-store.ts';
import { resolveConfigDir } from './config-dir.ts';

/**
 * The store as the CLI and the loopback bridge open it (the desktop app calls openAppStore with its keychain sealer).
 * The name is from when the file was opened through the `conf` library; it is the same store.
 */
export function openConfStore(configDir: string = resolveConfigDir(), options: OpenAppStoreOptions = {}): AppStore {
  return openAppStore(configDir, options);
}
