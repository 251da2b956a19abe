import ssh2, { type AuthenticationType, type Client as Ssh2Client, type ConnectConfig } from 'ssh2';
import { AppFailure } from '../../../shared/result.ts';
import { mapConnectionError } from './connection-errors.ts';
import {
  decideHostKey,
  describeHostKey,
  hostKeyMismatchFailure,
  hostKeyUnconfirmedFailure,
  type HostKeyInfo,
  type HostKeyTrust,
} from './host-key.ts';
import type { SshCredentials } from './ssh-credentials.ts';

// Opens one authenticated ssh2 connection. Every connection is checked against the pinned host key:
//  - pinned and equal: go on;
//  - pinned and different: refused inside the key exchange (HOST_KEY_MISMATCH), before any credential is sent;
//  - not pinned: the key exchange is completed (so the server has proven it holds the key), then we hang up
//    before authenticating and report HOST_KEY_UNCONFIRMED with the fingerprint for the user to confirm.

export interface SshEndpoint {
  /** The saved connection's id: the key under which its host key is pinned. */
  connectionId: string;
  host: string;
  port: number;
  username: string;
  /** The saved connection's name ("nas-b"): messages name the NAS the admin knows, then the login. */
  name?: string;
}

/** 'fast-aead' puts aes128-gcm@openssh.com first: the cheapest cipher on AES-NI hardware (ssh2's default list also starts with GCM, unless the CPU lacks AES). */
export type CipherPreference = 'default' | 'fast-aead';

export interface SshConnectParams extends SshEndpoint {
  credentials: SshCredentials;
  trust: HostKeyTrust;
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  cipherPreference?: CipherPreference;
  signal?: AbortSignal;
  /** Called with ssh2's debug lines (already free of secrets: ssh2 never prints passwords or keys). */
  debug?: (line: string) => void;
}

export interface SshSession {
  client: Ssh2Client;
  hostKey: HostKeyInfo;
  label: string;
  /** TCP connect + key exchange + authentication. */
  handshakeMs: number;
  /** Cipher negotiated client to server. */
  cipher: string | undefined;
}

export const defaultConnectTimeoutMs = 20_000;
export const defaultKeepaliveIntervalMs = 15_000;
/** Unanswered keepalives after which a connection is given up. */
const keepaliveCountMax = 3;

/** The environment variable that sets the keepalive interval of every ssh connection the app makes or starts. */
export const keepaliveEnv = 'ZRD_SSH_KEEPALIVE_SECONDS';

/**
 * How a dead network (no FIN, no RST: a pulled cable, a dead switch port) is noticed: a keepalive every
 * `intervalSeconds`, the connection given up after `countMax` unanswered, so a run fails within about
 * interval × (countMax + 1). The same policy for the app's connections and the source's ssh to the destination in
 * direct mode. ZRD_SSH_KEEPALIVE_SECONDS changes the interval: a lossy link may want more, the fault matrix less.
 */
export function keepalivePolicy(env: NodeJS.ProcessEnv = process.env): { intervalSeconds: number; countMax: number } {
  const raw = env[keepaliveEnv];
  if (raw === undefined || raw === '') return { intervalSeconds: defaultKeepaliveIntervalMs / 1000, countMax: keepaliveCountMax };
  const seconds = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || seconds < 1 || seconds > 300) {
    throw new AppFailure('INVALID_REQUEST', `${keepaliveEnv} is "${raw}": it must be a whole number of seconds from 1 to 300.`,
      `Set it to a number of seconds (the default is ${defaultKeepaliveIntervalMs / 1000}), or unset it.`);
  }
  return { intervalSeconds: seconds, countMax: keepaliveCountMax };
}

export function endpointLabel(endpoint: Pick<SshEndpoint, 'host' | 'port' | 'username'>): string {
  return `${endpoint.username}@${endpoint.host}:${endpoint.port}`;
}

/** "nas-b (root@10.0.0.2:22)" when the connection has a name, else the login alone: how commands' messages name it. */
export function targetLabel(endpoint: Pick<SshEndpoint, 'host' | 'port' | 'username' | 'name'>): string {
  return endpoint.name ? `${endpoint.name} (${endpointLabel(endpoint)})` : endpointLabel(endpoint);
}

export function cipherAlgorithms(preference: CipherPreference | undefined): ConnectConfig['algorithms'] {
  if (preference !== 'fast-aead') return undefined;
  // An exact list (ssh2's "prepend" does not move a name already in its default list).
  return {
    cipher: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
  };
}

/**
 * The methods to try, in ssh2's own order but without its opening "none" request: that request only asks the server
 * which methods it accepts, and costs a round trip on every connection (~0.1 s to an emulated NAS) before the
 * method we would use anyway. A method the server refuses fails as it did after the "none" reply.
 */
export function authMethodsOf(credentials: Pick<SshCredentials, 'password' | 'privateKey' | 'agent'>): AuthenticationType[] {
  const methods: AuthenticationType[] = [];
  if (credentials.password !== undefined) methods.push('password');
  if (credentials.privateKey) methods.push('publickey');
  if (credentials.agent !== undefined) methods.push('agent');
  // No credentials at all: ask as ssh2 does (a server may let such a login in, or say what it wants).
  return methods.length > 0 ? methods : ['none'];
}

/** Opens, verifies and authenticates a connection. Rejects with a typed AppFailure. */
export function connectSsh(params: SshConnectParams): Promise<SshSession> {
  const label = endpointLabel(params);
  const subject = { host: params.host, port: params.port, connectionId: params.connectionId, label: `${params.host}:${params.port}` };
  const connectTimeoutMs = params.connectTimeoutMs ?? defaultConnectTimeoutMs;
  const errorContext = {
    label,
    host: params.host,
    port: params.port,
    username: params.username,
    authDescription: params.credentials.description,
    connectTimeoutMs,
  };
  // Read before any socket opens: a bad value is the admin's to fix, not a connection failure.
  const keepalive = keepalivePolicy();
  return new Promise<SshSession>((resolve, reject) => {
    const client = new ssh2.Client();
    const started = performance.now();
    let settled = false;
    let presented: HostKeyInfo | undefined;
    /** Set by the host verifier when the key is new: hang up after the key exchange, before auth. */
    let unconfirmed: AppFailure | undefined;
    let hostKeyFailure: AppFailure | undefined;
    let cipher: string | undefined;
    // A hard cap over ssh2's readyTimeout, which does not cover a slow async host verifier or auth.
    const overall = setTimeout(() => fail(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' })), connectTimeoutMs + 1000);

    const finish = () => {
      clearTimeout(overall);
      params.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      finish();
      client.removeAllListeners('ready');
      client.on('error', () => {}); // late errors of a connection we gave up on
      client.destroy();
      reject(hostKeyFailure ?? unconfirmed ?? mapConnectionError(error, errorContext));
    };
    const onAbort = () => {
      fail(new AppFailure('CANCELLED', `Connecting to ${label} was cancelled.`));
    };
    if (params.signal?.aborted) {
      onAbort();
      return;
    }
    params.signal?.addEventListener('abort', onAbort, { once: true });

    client.on('handshake', (negotiated) => {
      cipher = negotiated.cs.cipher;
      if (unconfirmed) fail(unconfirmed);
    });
    client.on('ready', () => {
      if (settled) return;
      if (!presented) {
        fail(new AppFailure('INTERNAL', `${label}: connected without a host key check.`));
        return;
      }
      settled = true;
      finish();
      resolve({ client, hostKey: presented, label, handshakeMs: performance.now() - started, cipher });
    });
    client.on('error', (error) => fail(error));
    client.on('close', () => fail(new Error('Connection lost before handshake')));

    const config: ConnectConfig = {
      host: params.host,
      port: params.port,
      username: params.username,
      readyTimeout: connectTimeoutMs,
      keepaliveInterval: params.keepaliveIntervalMs ?? keepalive.intervalSeconds * 1000,
      keepaliveCountMax: params.keepaliveCountMax ?? keepalive.countMax,
      hostVerifier: (blob: Buffer, verify: (valid: boolean) => void) => {
        let key: HostKeyInfo;
        try {
          key = describeHostKey(blob);
        } catch {
          verify(false);
          return;
        }
        presented = key;
        Promise.resolve(params.trust.get(params.connectionId)).then(
          (pinned) => {
            const decision = decideHostKey(pinned, key);
            if (decision.kind === 'mismatch') {
              hostKeyFailure = hostKeyMismatchFailure(subject, decision.expected, key);
              verify(false);
            } else {
              if (decision.kind === 'unconfirmed') unconfirmed = hostKeyUnconfirmedFailure(subject, key);
              verify(true);
            }
          },
          (error: unknown) => {
            hostKeyFailure = new AppFailure('INTERNAL', `Could not read the pinned host key: ${error instanceof Error ? error.message : String(error)}`);
            verify(false);
          },
        );
      },
      ...(params.credentials.privateKey ? { privateKey: params.credentials.privateKey } : {}),
      ...(params.credentials.passphrase !== undefined ? { passphrase: params.credentials.passphrase } : {}),
      ...(params.credentials.agent !== undefined ? { agent: params.credentials.agent } : {}),
      ...(params.credentials.password !== undefined ? { password: params.credentials.password } : {}),
      ...(params.debug ? { debug: params.debug } : {}),
      authHandler: authMethodsOf(params.credentials),
    };
    const algorithms = cipherAlgorithms(params.cipherPreference);
    if (algorithms) config.algorithms = algorithms;
    try {
      client.connect(config);
    } catch (error) {
      fail(error);
    }
  });
}
