import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { AppFailure } from '../../../shared/result.ts';
import { narrowMode, privateFileMode, writePrivateFileAtomic } from './private-files.ts';

// Secrets the admin asks the app to keep (today: the key of a task that encrypts its replicas on the destination)
// live apart from the settings, never in config.json: in `secrets.json` (0600), each one sealed by the OS keychain
// where the desktop app has one (Electron's safeStorage: Keychain on macOS, DPAPI on Windows, the Secret Service or
// KWallet on Linux), otherwise as the file's own content (the CLI, the bridge, a headless daemon). A secret sealed by
// the keychain opens only in the desktop app of the same user; elsewhere it reads as not stored, and the run asks
// for it. The caller holds the settings lock around writes.

/** What the desktop app offers: Electron's safeStorage, adapted. Absent in plain Node. */
export interface SecretSealer {
  /** False when the OS has no keychain to seal with (then secrets stay in the 0600 file as they are). */
  available(): boolean;
  seal(plain: string): Buffer;
  unseal(sealed: Buffer): string;
}

const SecretEntrySchema = z.discriminatedUnion('sealed', [
  z.object({ sealed: z.literal('os-keychain'), data: z.string() }),
  z.object({ sealed: z.literal('none'), value: z.string() }),
]);
const SecretsFileSchema = z.object({ version: z.literal(1), secrets: z.record(z.string(), SecretEntrySchema) });
type SecretsFile = z.infer<typeof SecretsFileSchema>;

export type SecretRead =
  | { state: 'found'; value: string }
  | { state: 'absent' }
  /** Stored, but this program cannot open it: sealed by the desktop app's keychain, or the file is unreadable. */
  | { state: 'unavailable'; reason: string };

export function taskKeySecretName(taskId: string): string {
  return `task/${taskId}/encryption-key`;
}

export class SecretStore {
  readonly path: string;
  readonly #sealer: SecretSealer | null;

  constructor(file: string, sealer: SecretSealer | null = null) {
    this.path = file;
    this.#sealer = sealer;
  }

  /** Where new secrets go: "os-keychain" or "file". */
  get backend(): 'os-keychain' | 'file' {
    return this.#sealer?.available() ? 'os-keychain' : 'file';
  }

  #read(): SecretsFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} };
      throw error;
    }
    let parsed;
    try {
      parsed = SecretsFileSchema.safeParse(JSON.parse(text));
    } catch (error) {
      parsed = { success: false as const, error };
    }
    if (!parsed.success) {
      // Never rewritten when unreadable: that would lose every secret in it.
      throw new AppFailure('STORE_CORRUPT', `The secrets file ${this.path} cannot be read (not the layout this version writes).`, `Fix or move that file away (its secrets will then be asked for again), then try again.`, { path: this.path });
    }
    return parsed.data;
  }

  get(name: string): SecretRead {
    let entry;
    try {
      entry = this.#read().secrets[name];
    } catch (error) {
      return { state: 'unavailable', reason: (error as Error).message };
    }
    if (!entry) return { state: 'absent' };
    if (entry.sealed === 'none') return { state: 'found', value: entry.value };
    if (!this.#sealer?.available()) return { state: 'unavailable', reason: 'it is sealed with the OS keychain by the desktop app, and only the desktop app can open it' };
    try {
      return { state: 'found', value: this.#sealer.unseal(Buffer.from(entry.data, 'base64')) };
    } catch (error) {
      return { state: 'unavailable', reason: `the OS keychain could not open it (${(error as Error).message})` };
    }
  }

  /** Stores (or replaces) a secret. Call with the settings lock held. */
  set(name: string, value: string): void {
    const file = this.#read();
    file.secrets[name] = this.#sealer?.available() ? { sealed: 'os-keychain', data: this.#sealer.seal(value).toString('base64') } : { sealed: 'none', value };
    this.#write(file);
  }

  /** Forgets a secret; false when there was none. Call with the settings lock held. */
  delete(name: string): boolean {
    const file = this.#read();
    if (file.secrets[name] === undefined) return false;
    delete file.secrets[name];
    this.#write(file);
    return true;
  }

  /** Narrows the file's mode to 0600 (a file from an older version or copied in by hand). */
  fixMode(): void {
    narrowMode(this.path, privateFileMode);
  }

  #write(file: SecretsFile): void {
    writePrivateFileAtomic(this.path, `${JSON.stringify(file, null, '\t')}\n`);
  }
}
