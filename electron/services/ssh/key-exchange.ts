import { AppFailure, toAppError, type AppError } from '../../../shared/result.ts';
import { assertHost, assertSshUser } from '../../../shared/zfs-names.ts';
import type { CommandRunner } from './command-runner.ts';
import {
  addKnownHostScript,
  ensureUserKeyScript,
  installAuthorizedKeyScript,
  readHostKeysScript,
  removeGeneratedKeyScript,
  removeMarkedLinesScript,
  setNasTrustKeyScript,
} from './authorized-keys-scripts.ts';
import { hostKeyMismatchFailure, hostKeyUnconfirmedFailure, parsePublicKeyLine, type HostKeyInfo, type HostKeyTrust, type PublicKeyLine } from './host-key.ts';
import { DirectCommandRunner, type Privilege, type RemoteCommandRecord } from './ssh-command-runner.ts';
import { connectSsh, keepalivePolicy, type SshConnectParams, type SshEndpoint } from './ssh-connect.ts';
import type { SshCredentials } from './ssh-credentials.ts';

// The guided key exchanges. Each step is reported as it starts and ends so the UI can show a checklist; a failed
// step reports the typed error and stops. Both exchanges are idempotent (re-running adds nothing twice) and the
// NAS-to-NAS one is reversible (every line we add carries a marker, and only marked lines are removed).

export interface KeyExchangeStep {
  step: string;
  status: 'running' | 'done' | 'failed';
  detail?: string;
  error?: AppError;
}

export type StepReporter = (step: KeyExchangeStep) => void;

async function runStep<T>(report: StepReporter | undefined, step: string, action: () => Promise<{ value: T; detail?: string }>): Promise<T> {
  report?.({ step, status: 'running' });
  try {
    const { value, detail } = await action();
    report?.({ step, status: 'done', ...(detail === undefined ? {} : { detail }) });
    return value;
  } catch (error) {
    const appError = toAppError(error);
    report?.({ step, status: 'failed', detail: appError.message, error: appError });
    throw error;
  }
}

const sshPublicKeyLine = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}(?: [^\r\n]*)?$/;

function assertPublicKeyLine(line: string): string {
  const trimmed = line.trim();
  if (!sshPublicKeyLine.test(trimmed)) {
    throw new AppFailure('INVALID_REQUEST', 'That is not an OpenSSH public key line ("ssh-ed25519 AAAA... comment").');
  }
  return trimmed;
}

/** Markers are the last field of a line we add: letters, digits and a few separators, no spaces. */
function assertMarker(marker: string): string {
  if (!/^[A-Za-z0-9_.:=@+-]{1,200}$/.test(marker)) throw new AppFailure('INVALID_REQUEST', `Invalid key marker "${marker}".`);
  return marker;
}

/** Adds a public key to the login user's ~/.ssh/authorized_keys on the runner's NAS. The key travels on stdin. */
export async function installAuthorizedKey(runner: CommandRunner, publicKeyLine: string): Promise<'added' | 'present'> {
  const key = assertPublicKeyLine(publicKeyLine);
  const { stdout } = await runner.run(['sh', '-c', installAuthorizedKeyScript, 'sh'], { stdin: `${key}\n`, privileged: false, timeoutMs: 60_000 });
  const outcome = stdout.trim();
  if (outcome !== 'added' && outcome !== 'present') {
    throw new AppFailure('REMOTE_COMMAND_FAILED', `${runner.label}: unexpected answer while installing the key: ${outcome.slice(0, 200)}`);
  }
  return outcome;
}

// ---- App -> NAS ---------------------------------------------------------------------------------------------

export interface InstallAppKeyParams extends SshEndpoint {
  /** Typed by the admin for this one installation; used for one login and forgotten. */
  password: string;
  /** The app's (or the chosen key file's) public key line. */
  publicKey: string;
  /** How to log in afterwards (the app key / key file / agent), for the verification login. */
  keyCredentials: SshCredentials;
  trust: HostKeyTrust;
  privilege: Privilege;
  connectTimeoutMs?: number;
  onStep?: StepReporter;
  connect?: (params: SshConnectParams) => ReturnType<typeof connectSsh>;
  /** The app log's record of every command (the password session's too). */
  record?: (entry: RemoteCommandRecord) => void;
}

export interface InstallAppKeyResult {
  /** false when the key was already there (nothing changed). */
  added: boolean;
  hostKey: HostKeyInfo;
  keyLoginMs: number;
}

/**
 * App -> NAS: logs in once with the password (the host key must already be confirmed), installs our public key
 * in that user's authorized_keys, then proves that a key-only login works. The password is never stored.
 */
export async function installAppKeyWithPassword(params: InstallAppKeyParams): Promise<InstallAppKeyResult> {
  const connect = params.connect ?? connectSsh;
  const publicKey = assertPublicKeyLine(params.publicKey);
  const endpoint = { connectionId: params.connectionId, host: params.host, port: params.port, username: params.username };
  const common = { ...endpoint, trust: params.trust, ...(params.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: params.connectTimeoutMs }) };

  const passwordSession = await runStep(params.onStep, 'password-login', async () => {
    const session = await connect({ ...common, credentials: { password: params.password, description: 'password' } });
    return { value: session, detail: `Logged in as ${params.username} with the password (host key ${session.hostKey.sha256}).` };
  });
  let added: boolean;
  try {
    const runner = new DirectCommandRunner({ client: passwordSession.client, host: params.host, port: params.port, username: params.username, privilege: params.privilege, knownSecrets: [params.password], ...(params.record ? { record: params.record } : {}) });
    added = await runStep(params.onStep, 'install-key', async () => {
      const outcome = await installAuthorizedKey(runner, publicKey);
      return { value: outcome === 'added', detail: outcome === 'added' ? 'Key added to ~/.ssh/authorized_keys.' : 'Key was already in ~/.ssh/authorized_keys.' };
    });
  } finally {
    passwordSession.client.end();
  }

  return runStep(params.onStep, 'verify-key-login', async () => {
    const session = await connect({ ...common, credentials: params.keyCredentials });
    try {
      const runner = new DirectCommandRunner({ client: session.client, host: params.host, port: params.port, username: params.username, privilege: params.privilege, ...(params.record ? { record: params.record } : {}) });
      await runner.run(['true'], { privileged: false, timeoutMs: 30_000 });
    } finally {
      session.client.end();
    }
    return {
      value: { added, hostKey: session.hostKey, keyLoginMs: session.handshakeMs },
      detail: `Logged in with ${params.keyCredentials.description} only (${Math.round(session.handshakeMs)} ms).`,
    };
  });
}

// ---- NAS <-> NAS --------------------------------------------------------------------------------------------

export interface NasSide {
  /** Runner on this NAS's pooled, key-authenticated connection. */
  runner: CommandRunner;
  connectionId: string;
  /** The login user of that connection: the one whose ~/.ssh is used on this side. */
  username: string;
}

export interface NasToNasTrustParams {
  /** The NAS that runs `zfs send | ssh destination zfs receive`. */
  source: NasSide;
  destination: NasSide;
  /** How the SOURCE reaches the destination's sshd (may differ from the app's address for it). */
  destinationAddress: { host: string; port: number };
  /** Pinned host keys: the destination's pin is what its known_hosts line is checked against. */
  trust: HostKeyTrust;
  onStep?: StepReporter;
  /** For the verification ssh run on the source. */
  connectTimeoutSeconds?: number;
}

export interface NasToNasTrustResult {
  sourcePublicKey: string;
  sourceKeyCreated: boolean;
  authorizedKeyAdded: boolean;
  knownHostAdded: boolean;
  destinationHostKey: HostKeyInfo;
  /** The ssh command the source uses to reach the destination (without the remote command). */
  sshCommand: string[];
  verifyMs: number;
  /** The source's address as the destination's sshd saw it during the verification ($SSH_CONNECTION); null if unknown. */
  sourceAddressSeen: string | null;
  /**
   * The options of our line in the destination's authorized_keys: 'restrict,from="10.0.2.2"', or 'restrict' when
   * the source's address is not known; null when the key is only in a line the admin wrote (left as it is).
   */
  authorizedKeyOptions: string | null;
}

/**
 * The options of the NAS-to-NAS key line. `restrict` (OpenSSH 7.2+) turns off port, agent and X11 forwarding, pty
 * allocation and ~/.ssh/rc: replication needs none of them (one exec channel per stream; multiplexing is the
 * client's). `from=` limits the key to the address the destination sees the source connect from.
 */
export function nasTrustKeyOptions(sourceAddress: string | null): string {
  return sourceAddress === null ? 'restrict' : `restrict,from="${sourceAddress}"`;
}

const ipv4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ipv6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;

/** The client address of an $SSH_CONNECTION value ("10.0.2.2 51234 10.0.2.15 22"), when it is a plain IP. */
export function clientAddressOf(sshConnection: string): string | null {
  const line = sshConnection.split('\n').map((l) => l.trim()).reverse().find((l) => /^\S+ \d+ \S+ \d+$/.test(l));
  const address = line?.split(' ')[0];
  return address !== undefined && (ipv4.test(address) || ipv6.test(address)) ? address : null;
}

export function authorizedKeyMarker(sourceConnectionId: string): string {
  return assertMarker(`zrd-nas-trust:from=${sourceConnectionId}`);
}

export function knownHostMarker(destinationConnectionId: string): string {
  return assertMarker(`zrd-nas-trust:to=${destinationConnectionId}`);
}

/** The comment of a key pair we generate on a NAS: lets removal tell it from the admin's own key. */
export const generatedKeyComment = 'zrd-nas-trust:generated';

/** known_hosts spelling of an address: plain host for port 22, "[host]:port" otherwise. */
export function knownHostsPattern(host: string, port: number): string {
  assertHost(host);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppFailure('INVALID_REQUEST', `Port ${port} is not a TCP port (1-65535).`);
  return port === 22 ? host : `[${host}]:${port}`;
}

const nasToNasCiphers = 'aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr';

/** The ssh invocation that must work unattended from the source: batch mode, strict host key checking. */
export function nasToNasSshArgv(destinationUser: string, address: { host: string; port: number }, connectTimeoutSeconds = 20, extraOptions: readonly string[] = []): string[] {
  knownHostsPattern(address.host, address.port);
  // The same rules the task's schema applies (shared/zfs-names.ts): ssh would read "-o..." as an option.
  assertSshUser(destinationUser);
  // UpdateHostKeys=no: otherwise ssh adds the destination's other host keys (unverified by us, unmarked) to
  // known_hosts after the first login, and removing the trust would leave them behind.
  // Ciphers: AES-GCM first (OpenSSH's default order starts with chacha20-poly1305). With AES instructions — most
  // NAS CPUs, and emulated ones — it moves the stream faster for less CPU; measured in bench/replication.bench.ts.
  // Every name here exists since OpenSSH 6.5, so older NAS firmware still accepts the list.
  // ServerAlive*: a dead network between the NASes (no FIN, no RST) otherwise stalls a direct transfer for as long
  // as TCP retransmits (15+ minutes) or forever (a zero window): the source's ssh gives up after 3 unanswered
  // keepalives 15 s apart (keepalivePolicy), like the app's own connections, and the run fails with its message.
  const keepalive = keepalivePolicy();
  return [
    'ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UpdateHostKeys=no', '-o', `ConnectTimeout=${connectTimeoutSeconds}`,
    '-o', `ServerAliveInterval=${keepalive.intervalSeconds}`, '-o', `ServerAliveCountMax=${keepalive.countMax}`,
    '-o', `Ciphers=${nasToNasCiphers}`, ...extraOptions, '-p', String(address.port), '-l', destinationUser, address.host,
  ];
}

async function destinationHostKeyLine(destination: NasSide, trust: HostKeyTrust, address: { host: string; port: number }): Promise<PublicKeyLine> {
  const pinned = await trust.get(destination.connectionId);
  const { stdout } = await destination.runner.run(['sh', '-c', readHostKeysScript], { privileged: false, timeoutMs: 30_000 });
  const keys = stdout.split('\n').map(parsePublicKeyLine).filter((k): k is PublicKeyLine => k !== null);
  const subject = { ...address, connectionId: destination.connectionId, label: destination.runner.label };
  if (pinned === null) {
    const first = keys[0];
    throw first
      ? hostKeyUnconfirmedFailure(subject, first)
      : new AppFailure('HOST_KEY_UNCONFIRMED', `${destination.runner.label} has no confirmed host key.`, 'Connect to it from the app and confirm its fingerprint first.', {
          via: 'app',
          host: address.host,
          port: address.port,
          connectionId: destination.connectionId,
          presented: null,
        });
  }
  const match = keys.find((k) => k.sha256 === pinned.sha256);
  if (!match) {
    const presented = keys[0] ?? { type: 'unknown', sha256: 'none readable in /etc/ssh' };
    throw hostKeyMismatchFailure(subject, pinned, presented, {
      found: keys,
      message: `None of the host keys in /etc/ssh on ${destination.runner.label} matches the fingerprint pinned for it (${pinned.sha256}); not recording any in the source's known_hosts.`,
    });
  }
  return match;
}

/**
 * Lets the source NAS log in to the destination NAS with a key, for direct `zfs send | ssh dest zfs receive`:
 * source key (reuse or create ~/.ssh/id_ed25519) -> its public key into the destination's authorized_keys ->
 * the destination's host key, read over our pinned connection and checked against the pin, into the source's
 * known_hosts -> `ssh -o BatchMode=yes -o StrictHostKeyChecking=yes dest true` from the source.
 */
export async function establishNasToNasTrust(params: NasToNasTrustParams): Promise<NasToNasTrustResult> {
  const { source, destination, destinationAddress, onStep } = params;
  const hostPattern = knownHostsPattern(destinationAddress.host, destinationAddress.port);

  const sourceKey = await runStep(onStep, 'source-key', async () => {
    const { stdout } = await source.runner.run(['sh', '-c', ensureUserKeyScript, 'sh', generatedKeyComment], { privileged: false, timeoutMs: 60_000 });
    const match = /^(existing|created) (\S+ \S+.*)$/m.exec(stdout.trim());
    if (!match?.[2]) throw new AppFailure('REMOTE_COMMAND_FAILED', `${source.runner.label}: unexpected answer while preparing its ssh key: ${stdout.slice(0, 200)}`);
    const parsed = parsePublicKeyLine(match[2]);
    if (!parsed) throw new AppFailure('REMOTE_COMMAND_FAILED', `${source.runner.label}: ~/.ssh/id_ed25519 does not hold a usable key.`);
    const created = match[1] === 'created';
    return {
      value: { parsed, created },
      detail: `${created ? 'Created' : 'Using existing'} ~/.ssh/id_ed25519 of ${source.username} on ${source.runner.label} (${parsed.sha256}).`,
    };
  });

  const marker = authorizedKeyMarker(source.connectionId);
  const keyLine = (options: string) => `${options} ${sourceKey.parsed.type} ${sourceKey.parsed.base64} ${marker}`;
  const setKeyLine = async (mode: 'add' | 'set', options: string) => {
    const { stdout } = await destination.runner.run(['sh', '-c', setNasTrustKeyScript, 'sh', marker, sourceKey.parsed.base64, mode], { stdin: `${keyLine(options)}\n`, privileged: false, timeoutMs: 60_000 });
    const outcome = stdout.trim();
    if (!['added', 'present', 'updated', 'foreign'].includes(outcome)) throw new AppFailure('REMOTE_COMMAND_FAILED', `${destination.runner.label}: unexpected answer while editing authorized_keys: ${outcome.slice(0, 200)}`);
    return outcome as 'added' | 'present' | 'updated' | 'foreign';
  };

  // Restricted from the start; the source's address is learned by the verification login, then added as from=.
  const authorizedKeyAdded = await runStep(onStep, 'authorize-on-destination', async () => {
    const outcome = await setKeyLine('add', nasTrustKeyOptions(null));
    return {
      value: outcome === 'added',
      detail: outcome === 'added' ? `Authorized the key for ${destination.username} on ${destination.runner.label} (restricted: no forwarding, no pty).` : `The key was already authorized on ${destination.runner.label}.`,
    };
  });

  const hostKey = await runStep(onStep, 'destination-host-key', async () => {
    const key = await destinationHostKeyLine(destination, params.trust, destinationAddress);
    return { value: key, detail: `Host key of ${destination.runner.label}: ${key.type} ${key.sha256} (matches the pinned fingerprint).` };
  });

  const knownHostAdded = await runStep(onStep, 'record-known-host', async () => {
    const { stdout } = await source.runner.run(['sh', '-c', addKnownHostScript, 'sh', hostPattern, hostKey.type, hostKey.base64, knownHostMarker(destination.connectionId)], {
      privileged: false,
      timeoutMs: 60_000,
    });
    const outcome = stdout.trim();
    if (outcome !== 'added' && outcome !== 'present') throw new AppFailure('REMOTE_COMMAND_FAILED', `${source.runner.label}: unexpected answer while writing known_hosts: ${outcome.slice(0, 200)}`);
    return { value: outcome === 'added', detail: `${outcome === 'added' ? 'Recorded' : 'Already recorded'} ${hostPattern} in ~/.ssh/known_hosts on ${source.runner.label}.` };
  });

  const sshCommand = nasToNasSshArgv(destination.username, destinationAddress, params.connectTimeoutSeconds);
  const sshTimeoutMs = ((params.connectTimeoutSeconds ?? 20) + 30) * 1000;
  const verify = await runStep(onStep, 'verify-ssh', async () => {
    const started = performance.now();
    // The destination's sshd puts the address it sees the source connect from in $SSH_CONNECTION.
    const { stdout } = await source.runner.run([...sshCommand, 'printenv', 'SSH_CONNECTION'], { privileged: false, timeoutMs: sshTimeoutMs, expectedExitCodes: [0, 1] });
    const ms = performance.now() - started;
    const address = clientAddressOf(stdout);
    return {
      value: { ms, address },
      detail: `${source.runner.label} logged in to ${destination.username}@${hostPattern} with its key (${Math.round(ms)} ms)${address ? `; ${destination.runner.label} sees it connect from ${address}` : ''}.`,
    };
  });

  const authorizedKeyOptions = await runStep(onStep, 'restrict-to-source', async () => {
    const wanted = nasTrustKeyOptions(verify.address);
    const outcome = await setKeyLine('set', wanted);
    if (outcome === 'foreign') {
      return { value: null, detail: `The key is in a line of ~/.ssh/authorized_keys on ${destination.runner.label} that the app did not write; that line is left as it is (without the app's restrictions).` };
    }
    if (outcome === 'updated' && verify.address !== null) {
      // Proves the tightened line still lets the source in; if it did not, the line goes back to restrict alone.
      const works = await source.runner.run([...sshCommand, 'true'], { privileged: false, timeoutMs: sshTimeoutMs }).then(() => true, () => false);
      if (!works) {
        await setKeyLine('set', nasTrustKeyOptions(null));
        return { value: nasTrustKeyOptions(null), detail: `A login limited to ${verify.address} failed, so the key stays restricted without a from= limit.` };
      }
    }
    return { value: wanted, detail: `The key's line on ${destination.runner.label} carries ${wanted}${verify.address ? ` (only logins from ${verify.address})` : ' (the source address was not visible)'}.` };
  });

  return {
    sourcePublicKey: `${sourceKey.parsed.type} ${sourceKey.parsed.base64}`,
    sourceKeyCreated: sourceKey.created,
    authorizedKeyAdded,
    knownHostAdded,
    destinationHostKey: { type: hostKey.type, sha256: hostKey.sha256 },
    sshCommand,
    verifyMs: verify.ms,
    sourceAddressSeen: verify.address,
    authorizedKeyOptions,
  };
}

export interface RemoveNasToNasTrustParams {
  source: NasSide;
  destination: NasSide;
  onStep?: StepReporter;
  /** Also delete the source's ~/.ssh/id_ed25519 if we generated it (its comment is ours). Default false: other tools may use it by now. */
  removeGeneratedSourceKey?: boolean;
}

export interface RemoveNasToNasTrustResult {
  authorizedKeysRemoved: number;
  knownHostsRemoved: number;
  sourceKeyRemoved: boolean;
}

/** Undoes establishNasToNasTrust: removes exactly the lines it added (by their markers). */
export async function removeNasToNasTrust(params: RemoveNasToNasTrustParams): Promise<RemoveNasToNasTrustResult> {
  const { source, destination, onStep } = params;
  const removeMarked = async (side: NasSide, file: string, marker: string) => {
    const { stdout } = await side.runner.run(['sh', '-c', removeMarkedLinesScript, 'sh', file, marker], { privileged: false, timeoutMs: 60_000 });
    const count = Number.parseInt(stdout.trim(), 10);
    if (!Number.isFinite(count)) throw new AppFailure('REMOTE_COMMAND_FAILED', `${side.runner.label}: unexpected answer while editing ${file}: ${stdout.slice(0, 200)}`);
    return count;
  };
  const authorizedKeysRemoved = await runStep(onStep, 'unauthorize-on-destination', async () => {
    const count = await removeMarked(destination, 'authorized_keys', authorizedKeyMarker(source.connectionId));
    return { value: count, detail: `Removed ${count} line(s) from ~/.ssh/authorized_keys on ${destination.runner.label}.` };
  });
  const knownHostsRemoved = await runStep(onStep, 'forget-known-host', async () => {
    const count = await removeMarked(source, 'known_hosts', knownHostMarker(destination.connectionId));
    return { value: count, detail: `Removed ${count} line(s) from ~/.ssh/known_hosts on ${source.runner.label}.` };
  });
  let sourceKeyRemoved = false;
  if (params.removeGeneratedSourceKey) {
    sourceKeyRemoved = await runStep(onStep, 'remove-source-key', async () => {
      const { stdout } = await source.runner.run(['sh', '-c', removeGeneratedKeyScript, 'sh', generatedKeyComment], { privileged: false, timeoutMs: 60_000 });
      const removed = stdout.trim() === 'removed';
      return { value: removed, detail: removed ? 'Deleted the key pair the app had generated.' : 'Kept ~/.ssh/id_ed25519 (not generated by the app).' };
    });
  }
  return { authorizedKeysRemoved, knownHostsRemoved, sourceKeyRemoved };
}

export interface MutualTrustParams {
  a: NasSide;
  b: NasSide;
  /** How A reaches B, and how B reaches A. */
  bAddressFromA: { host: string; port: number };
  aAddressFromB: { host: string; port: number };
  trust: HostKeyTrust;
  onStep?: (step: KeyExchangeStep & { direction: 'a-to-b' | 'b-to-a' }) => void;
}

/** Both directions (for replication that may be reversed after a failover). */
export async function establishMutualNasTrust(params: MutualTrustParams): Promise<{ aToB: NasToNasTrustResult; bToA: NasToNasTrustResult }> {
  const aToB = await establishNasToNasTrust({
    source: params.a,
    destination: params.b,
    destinationAddress: params.bAddressFromA,
    trust: params.trust,
    onStep: (step) => params.onStep?.({ ...step, direction: 'a-to-b' }),
  });
  const bToA = await establishNasToNasTrust({
    source: params.b,
    destination: params.a,
    destinationAddress: params.aAddressFromB,
    trust: params.trust,
    onStep: (step) => params.onStep?.({ ...step, direction: 'b-to-a' }),
  });
  return { aToB, bToA };
}
