import { readFile } from 'node:fs/promises';
import { AuthSchema, type Connection } from '../../../shared/schemas.ts';
import { AppFailure } from '../../../shared/result.ts';
import type { HostKeyInfo, HostKeyTrust } from './host-key.ts';
import { establishNasToNasTrust, installAppKeyWithPassword, removeNasToNasTrust, type InstallAppKeyResult, type NasToNasTrustResult, type RemoveNasToNasTrustResult, type StepReporter } from './key-exchange.ts';
import { probeHostKey, type ProbedHostKey } from './probe-host-key.ts';
import { SshCommandRunner, type RemoteCommandRecord, type RunnerLogEntry, type SshRunnerTarget } from './ssh-command-runner.ts';
import { connectSsh, type CipherPreference } from './ssh-connect.ts';
import { SshConnectionPool, type PoolConnector, type PoolStats } from './ssh-connection-pool.ts';
import { ensureAppKey, resolveCredentials, type CredentialOptions } from './ssh-credentials.ts';

// Everything SSH the app needs, built once per process: the pool, runners per saved connection, the guided key
// exchanges and host-key confirmation. handlers/ssh.ts wires its verbs to these.

export interface SshServicesOptions {
  configDir: string;
  /** Backed by the AppStore's connection.hostKey in the app, InMemoryHostKeyTrust in tests. */
  trust: HostKeyTrust;
  /** Read at each connect, so a settings change applies to the next connection. */
  connectTimeoutMs?: () => number;
  /** A saved connection's own timeout, when it has one (overrides connectTimeoutMs for it). */
  connectTimeoutMsFor?: (connectionId: string) => number | undefined;
  getPassphrase?: CredentialOptions['getPassphrase'];
  maxSessions?: number;
  cipherPreference?: CipherPreference;
  idleTimeoutMs?: number;
  log?: (entry: RunnerLogEntry) => void;
  /** Every remote command once it ended, redacted (the app log). */
  record?: (entry: RemoteCommandRecord) => void;
}

export type SshConnectionSettings = Pick<Connection, 'id' | 'host' | 'port' | 'username' | 'auth' | 'privilege'> & {
  /** The saved connection's name, shown first in messages (absent for a connection not saved yet). */
  name?: string;
  /** Overrides the services' default for this connection. */
  cipherPreference?: CipherPreference;
};

export interface SshServices {
  pool: SshConnectionPool;
  runnerFor(connection: SshConnectionSettings): SshCommandRunner;
  /** Connects (or reuses the pooled connection) and runs nothing: "Test connection". */
  testConnection(connection: SshConnectionSettings): Promise<{ hostKey: HostKeyInfo; handshakeMs: number; cipher: string | null }>;
  probeHostKey(host: string, port: number): Promise<ProbedHostKey>;
  /**
   * Pins the key the admin confirmed. The server is probed again and must still present that fingerprint:
   * what gets pinned is what the admin saw, never a key that appeared in between.
   */
  confirmHostKey(connection: SshConnectionSettings, sha256: string): Promise<HostKeyInfo>;
  appPublicKey(): Promise<string>;
  installAppKey(connection: SshConnectionSettings, password: string, onStep?: StepReporter): Promise<InstallAppKeyResult>;
  establishNasToNasTrust(
    source: SshConnectionSettings,
    destination: SshConnectionSettings,
    destinationAddress: { host: string; port: number },
    onStep?: StepReporter,
  ): Promise<NasToNasTrustResult>;
  removeNasToNasTrust(source: SshConnectionSettings, destination: SshConnectionSettings, options?: { removeGeneratedSourceKey?: boolean; onStep?: StepReporter }): Promise<RemoveNasToNasTrustResult>;
  stats(connectionId: string): PoolStats | null;
  closeAll(): Promise<void>;
}

export function poolTargetOf(connection: SshConnectionSettings, defaultCipherPreference?: CipherPreference): SshRunnerTarget {
  const cipherPreference = connection.cipherPreference ?? defaultCipherPreference;
  return {
    connectionId: connection.id,
    host: connection.host,
    port: connection.port,
    username: connection.username,
    authKey: JSON.stringify(connection.auth),
    privilege: connection.privilege,
    ...(connection.name ? { name: connection.name } : {}),
    ...(cipherPreference === undefined ? {} : { cipherPreference }),
  };
}

export function createSshServices(options: SshServicesOptions): SshServices {
  const credentialOptions: CredentialOptions = { configDir: options.configDir, ...(options.getPassphrase ? { getPassphrase: options.getPassphrase } : {}) };
  const timeout = () => options.connectTimeoutMs?.() ?? 20_000;
  const log = options.log;

  const connector: PoolConnector = async (target, signal) => {
    const auth = AuthSchema.parse(JSON.parse(target.authKey));
    const credentials = await resolveCredentials(auth, credentialOptions, target.connectionId);
    return connectSsh({
      ...target,
      credentials,
      trust: options.trust,
      connectTimeoutMs: options.connectTimeoutMsFor?.(target.connectionId) ?? timeout(),
      ...(signal ? { signal } : {}),
    });
  };
  const pool = new SshConnectionPool({
    connector,
    ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    log: (entry) => log?.({ level: entry.level, source: 'ssh', message: entry.message }),
  });

  const runnerFor = (connection: SshConnectionSettings) => {
    return new SshCommandRunner({ pool, target: poolTargetOf(connection, options.cipherPreference), ...(log ? { log } : {}), ...(options.record ? { record: options.record } : {}) });
  };
  const sideOf = (connection: SshConnectionSettings) => ({ runner: runnerFor(connection), connectionId: connection.id, username: connection.username });

  return {
    pool,
    runnerFor,
    async testConnection(connection) {
      const session = await pool.connect(poolTargetOf(connection, options.cipherPreference));
      return { hostKey: session.hostKey, handshakeMs: session.handshakeMs, cipher: session.cipher ?? null };
    },
    probeHostKey: (host, port) => probeHostKey(host, port, { timeoutMs: timeout() }),
    async confirmHostKey(connection, sha256) {
      const probed = await probeHostKey(connection.host, connection.port, { timeoutMs: timeout() });
      if (probed.sha256 !== sha256) {
        throw new AppFailure(
          'HOST_KEY_MISMATCH',
          `${connection.host}:${connection.port} now presents the host key ${probed.type} ${probed.sha256}, not the ${sha256} you confirmed. Nothing was pinned.`,
          'Check the fingerprint on the NAS console again before trusting it.',
          { via: 'app', host: connection.host, port: connection.port, connectionId: connection.id, expected: { type: null, sha256 }, presented: { type: probed.type, sha256: probed.sha256 } },
        );
      }
      const key = { type: probed.type, sha256: probed.sha256 };
      await options.trust.pin(connection.id, key);
      // A pooled connection made under the old key must not outlive the re-trust.
      pool.close(connection.id);
      log?.({ level: 'info', source: 'ssh', message: `Pinned host key ${key.type} ${key.sha256} for ${connection.username}@${connection.host}:${connection.port}.` });
      return key;
    },
    appPublicKey: async () => (await ensureAppKey(options.configDir)).publicKey,
    async installAppKey(connection, password, onStep) {
      const publicKey =
        connection.auth.kind === 'app-key'
          ? (await ensureAppKey(options.configDir)).publicKey
          : connection.auth.kind === 'key-file'
            ? await readPublicKeyOf(connection.auth.keyPath)
            : null;
      if (publicKey === null) throw new AppFailure('INVALID_REQUEST', 'With ssh-agent login, add the agent\'s public key on the NAS yourself: the app cannot choose which agent key to install.');
      const keyCredentials = await resolveCredentials(connection.auth, credentialOptions, connection.id);
      // The password goes to this one login and nowhere else (not logged: runners get it as a known secret).
      return installAppKeyWithPassword({
        connectionId: connection.id,
        host: connection.host,
        port: connection.port,
        username: connection.username,
        privilege: connection.privilege,
        password,
        publicKey,
        keyCredentials,
        trust: options.trust,
        connectTimeoutMs: timeout(),
        ...(onStep ? { onStep } : {}),
        ...(options.record ? { record: options.record } : {}),
      });
    },
    establishNasToNasTrust: (source, destination, destinationAddress, onStep) =>
      establishNasToNasTrust({ source: sideOf(source), destination: sideOf(destination), destinationAddress, trust: options.trust, ...(onStep ? { onStep } : {}) }),
    removeNasToNasTrust: (source, destination, extra = {}) =>
      removeNasToNasTrust({
        source: sideOf(source),
        destination: sideOf(destination),
        ...(extra.onStep ? { onStep: extra.onStep } : {}),
        ...(extra.removeGeneratedSourceKey === undefined ? {} : { removeGeneratedSourceKey: extra.removeGeneratedSourceKey }),
      }),
    stats: (connectionId) => pool.stats(connectionId),
    closeAll: () => pool.closeAll(),
  };
}

async function readPublicKeyOf(keyPath: string): Promise<string> {
  try {
    return (await readFile(`${keyPath}.pub`, 'utf8')).trim();
  } catch {
    throw new AppFailure('INVALID_REQUEST', `There is no ${keyPath}.pub next to the key file.`, `Create it with: ssh-keygen -y -f ${keyPath} > ${keyPath}.pub`);
  }
}
