import { constants as fsConstants } from 'node:fs';
import { chmod, mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { AppFailure } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';

// ssh2 is CommonJS: under Node's ESM only its default export carries `utils`.
const { utils } = ssh2;

// How the app proves who it is: its own ed25519 key (made here, OpenSSH format, mode 0600), an existing key
// file the admin points at, or ssh-agent. Passwords only ever pass through the guided key installation and
// are never written anywhere.

export type SshAuth = Connection['auth'];

/** What connectSsh hands to ssh2. `description` names the method (never the secret) for errors and logs. */
export interface SshCredentials {
  privateKey?: Buffer;
  passphrase?: string;
  agent?: string;
  password?: string;
  description: string;
}

export interface PassphraseRequest {
  keyPath: string;
  connectionId?: string;
}

export interface CredentialOptions {
  /** The app's config folder; the app key lives in `<configDir>/keys/`. */
  configDir: string;
  /** Asked when a key file is encrypted; return undefined to give up. Never stored by this module. */
  getPassphrase?: (request: PassphraseRequest) => string | undefined | Promise<string | undefined>;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

export const appKeyFileName = 'id_ed25519';

export function appKeyPaths(configDir: string): { dir: string; privateKeyPath: string; publicKeyPath: string } {
  const dir = path.join(configDir, 'keys');
  return { dir, privateKeyPath: path.join(dir, appKeyFileName), publicKeyPath: path.join(dir, `${appKeyFileName}.pub`) };
}

export interface AppKey {
  privateKeyPath: string;
  /** The OpenSSH public key line, "ssh-ed25519 AAAA... comment". */
  publicKey: string;
  created: boolean;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Writes a new file with `mode`, failing if it exists: a key is never overwritten. */
async function writeNewFile(file: string, content: string, mode: number): Promise<void> {
  const handle = await open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}

/** Derives the public key line from a private key file (for a .pub that went missing). */
function publicKeyFromPrivate(privateKeyText: string, passphrase: string | undefined, keyPath: string): string {
  const parsed = utils.parseKey(privateKeyText, passphrase);
  if (parsed instanceof Error) {
    throw new AppFailure('AUTH_FAILED', `Cannot read the key ${keyPath}: ${parsed.message}.`, 'Check the key file and its passphrase.', { reason: 'KEY_UNREADABLE', keyPath });
  }
  const key = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
  return `${key.type} ${key.getPublicSSH().toString('base64')}${key.comment ? ` ${key.comment}` : ''}`;
}

/**
 * Returns the app's key, generating it on first use. With a passphrase the private key is encrypted
 * (aes256-ctr, bcrypt KDF) and the passphrase must then be supplied at every connection.
 */
export async function ensureAppKey(configDir: string, options: { passphrase?: string; comment?: string } = {}): Promise<AppKey> {
  const { dir, privateKeyPath, publicKeyPath } = appKeyPaths(configDir);
  if (await exists(privateKeyPath)) {
    const publicKey = (await exists(publicKeyPath))
      ? (await readFile(publicKeyPath, 'utf8')).trim()
      : publicKeyFromPrivate(await readFile(privateKeyPath, 'utf8'), options.passphrase, privateKeyPath);
    return { privateKeyPath, publicKey, created: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const comment = options.comment ?? 'zfs-replication-desktop';
  const pair =
    options.passphrase === undefined
      ? utils.generateKeyPairSync('ed25519', { comment })
      : utils.generateKeyPairSync('ed25519', { comment, passphrase: options.passphrase, cipher: 'aes256-ctr', rounds: 16 });
  try {
    await writeNewFile(privateKeyPath, pair.private, 0o600);
  } catch (error) {
    // Another caller made it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureAppKey(configDir, options);
    throw error;
  }
  await chmod(privateKeyPath, 0o600); // open()'s mode is masked by the umask; be explicit
  const publicKey = pair.public.trim();
  if (!(await exists(publicKeyPath))) await writeNewFile(publicKeyPath, `${publicKey}\n`, 0o600); // private folder, private files (see the README, Store)
  return { privateKeyPath, publicKey, created: true };
}

/** Refuses a private key that others can read, as OpenSSH does ("UNPROTECTED PRIVATE KEY FILE"). */
export async function checkPrivateKeyFile(keyPath: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  let info;
  try {
    info = await stat(keyPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppFailure(
      'AUTH_FAILED',
      code === 'ENOENT' ? `The key file ${keyPath} does not exist.` : `The key file ${keyPath} cannot be read (${code ?? 'error'}).`,
      'Pick an existing OpenSSH private key file, or use the app key.',
      { reason: 'KEY_FILE_MISSING', keyPath },
    );
  }
  if (!info.isFile()) {
    throw new AppFailure('AUTH_FAILED', `${keyPath} is not a file.`, 'Pick an OpenSSH private key file.', { reason: 'KEY_FILE_MISSING', keyPath });
  }
  // Windows has no POSIX modes; its ACLs are the user's business there.
  if (platform !== 'win32' && (info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(3, '0');
    throw new AppFailure(
      'AUTH_FAILED',
      `The key file ${keyPath} is readable by other users (mode ${mode}); the app refuses to use it.`,
      `Make it private first: chmod 600 ${keyPath}`,
      { reason: 'KEY_FILE_PERMISSIONS', keyPath, mode },
    );
  }
}

function isEncryptedKey(text: string): boolean {
  if (/Proc-Type: 4,ENCRYPTED|BEGIN ENCRYPTED PRIVATE KEY/.test(text)) return true;
  const parsed = utils.parseKey(text);
  return parsed instanceof Error && /passphrase/i.test(parsed.message);
}

async function loadKeyFile(keyPath: string, options: CredentialOptions, connectionId: string | undefined, description: string): Promise<SshCredentials> {
  await checkPrivateKeyFile(keyPath, options.platform);
  const privateKey = await readFile(keyPath);
  if (!isEncryptedKey(privateKey.toString('utf8'))) return { privateKey, description };
  const passphrase = await options.getPassphrase?.({ keyPath, ...(connectionId === undefined ? {} : { connectionId }) });
  if (passphrase === undefined) {
    throw new AppFailure('AUTH_FAILED', `The key ${keyPath} is protected by a passphrase.`, 'Enter its passphrase, or load it into ssh-agent and use agent login.', {
      reason: 'KEY_PASSPHRASE_REQUIRED',
      keyPath,
    });
  }
  const check = utils.parseKey(privateKey, passphrase);
  if (check instanceof Error) {
    throw new AppFailure('AUTH_FAILED', `The passphrase for ${keyPath} is wrong (${check.message}).`, 'Retype the passphrase.', {
      reason: 'KEY_PASSPHRASE_WRONG',
      keyPath,
    });
  }
  return { privateKey, passphrase, description };
}

export function defaultAgentSocket(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  if (env.SSH_AUTH_SOCK) return env.SSH_AUTH_SOCK;
  // Windows' OpenSSH agent service listens on a named pipe; ssh2 speaks to it under this name.
  return platform === 'win32' ? '\\\\.\\pipe\\openssh-ssh-agent' : undefined;
}

/** Turns a connection's auth choice into what ssh2 needs. */
export async function resolveCredentials(auth: SshAuth, options: CredentialOptions, connectionId?: string): Promise<SshCredentials> {
  switch (auth.kind) {
    case 'app-key': {
      const { privateKeyPath } = appKeyPaths(options.configDir);
      if (!(await exists(privateKeyPath))) {
        throw new AppFailure('AUTH_FAILED', 'The app has no SSH key yet.', 'Run the guided key setup for this connection: it creates the app key and installs it on the NAS.', {
          reason: 'APP_KEY_MISSING',
          keyPath: privateKeyPath,
        });
      }
      return loadKeyFile(privateKeyPath, options, connectionId, 'the app key');
    }
    case 'key-file':
      return loadKeyFile(auth.keyPath, options, connectionId, `key file ${auth.keyPath}`);
    case 'agent': {
      const agent = defaultAgentSocket(options.env, options.platform);
      if (agent === undefined) {
        throw new AppFailure('AUTH_FAILED', 'No ssh-agent is available (SSH_AUTH_SOCK is not set).', 'Start ssh-agent and add your key (ssh-add), then start the app from that session; or use a key file.', {
          reason: 'AGENT_MISSING',
        });
      }
      return { agent, description: 'ssh-agent' };
    }
  }
}
