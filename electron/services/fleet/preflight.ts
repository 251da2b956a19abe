import net from 'node:net';
import type { z } from 'zod';
import type { PreflightCheckSchema, PreflightReportSchema, PoolSummarySchema } from '../../../shared/contract.ts';
import { toAppError, type AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { mapConnectionError } from '../ssh/connection-errors.ts';
import type { HostKeyInfo } from '../ssh/host-key.ts';
import { sudoersLine } from '../ssh/stderr-error-table.ts';
import { destinationPermissions, sourcePermissions } from '../ssh/zfs-delegation.ts';
import type { ZfsCapabilities } from '../zfs/capabilities.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';

// The pre-flight test of a saved NAS ("Test" in the add/edit dialog): each check in the order a connection needs
// them, each with what it found and, when it fails, the fix — with the exact lines to paste on the NAS. A check that
// cannot run because an earlier one failed is "skipped" (with the reason); the first-contact host key is "action":
// the admin compares the fingerprint and confirms it, then runs the test again.

export type PreflightCheck = z.output<typeof PreflightCheckSchema>;
export type PreflightReport = z.output<typeof PreflightReportSchema>;
type CheckId = PreflightCheck['id'];
type PoolSummary = z.output<typeof PoolSummarySchema>;

export interface PreflightDeps {
  probeHostKey(host: string, port: number): Promise<HostKeyInfo>;
  /** Logs in with the connection's key (pooled); resolves with the handshake time. */
  login(connection: Connection): Promise<{ handshakeMs: number }>;
  /** The probed ZFS host of the connection (capabilities, pooled runner). */
  host(connection: Connection): Promise<ZfsHost>;
  listPools(host: ZfsHost): Promise<PoolSummary[]>;
  timeoutMs: number;
  /** Each check as it starts and ends (the preflightStep event). */
  onStep?: (check: CheckId, state: 'running' | PreflightCheck['status'], detail?: string) => void;
  /** TCP connect; tests replace it. */
  tcpConnect?: (host: string, port: number, timeoutMs: number) => Promise<number>;
}

export const checkTitles: Record<CheckId, string> = {
  tcp: 'The NAS answers on its SSH port',
  'host-key': 'Host key confirmed',
  login: 'Sign in with the key',
  privilege: 'Permission to run zfs',
  zfs: 'OpenZFS version and features',
  pools: 'Pools',
};

const order: CheckId[] = ['tcp', 'host-key', 'login', 'privilege', 'zfs', 'pools'];
const rank: Record<PreflightCheck['status'], number> = { ok: 0, skipped: 1, warn: 2, action: 3, fail: 4 };

/** The command that prints a host key's fingerprint on the NAS console, for the key type presented. */
export function fingerprintCommand(type: string): string {
  const file = type === 'ssh-ed25519' ? 'ed25519' : type.startsWith('ecdsa-') ? 'ecdsa' : type === 'ssh-rsa' || type.startsWith('rsa-') ? 'rsa' : 'ed25519';
  return `ssh-keygen -lf /etc/ssh/ssh_host_${file}_key.pub`;
}

export function tcpConnect(host: string, port: number, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      socket.end();
      socket.destroy();
      resolve(ms);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}

function worst(checks: readonly PreflightCheck[]): PreflightCheck['status'] {
  return checks.reduce<PreflightCheck['status']>((acc, c) => (rank[c.status] > rank[acc] ? c.status : acc), 'ok');
}

/** Runs the checks in order; never throws for a NAS problem (each problem is a failed check with its fix). */
export async function runPreflight(connection: Connection, deps: PreflightDeps): Promise<PreflightReport> {
  const checks = new Map<CheckId, PreflightCheck>();
  const report: PreflightReport = {
    connectionId: connection.id,
    checkedAt: new Date().toISOString(),
    status: 'ok',
    checks: [],
    hostKey: { state: 'unknown', presented: null, pinned: connection.hostKey ? { type: connection.hostKey.type, sha256: connection.hostKey.sha256 } : null },
    zfsVersion: null,
    os: null,
    pools: [],
  };
  const endpoint = `${connection.host}:${connection.port}`;
  const label = `${connection.username}@${endpoint}`;

  const record = (id: CheckId, fields: Partial<PreflightCheck> & Pick<PreflightCheck, 'status' | 'detail'>) => {
    const check: PreflightCheck = { id, title: checkTitles[id], hint: null, commands: [], error: null, ms: null, ...fields };
    checks.set(id, check);
    deps.onStep?.(id, check.status, check.detail);
    return check;
  };
  const failed = (id: CheckId, error: AppError, extra: Partial<PreflightCheck> = {}) =>
    record(id, { status: 'fail', detail: error.message, hint: error.hint ?? null, error, ...extra });
  /** The first skipped check says why; the ones after it just say skipped (the reason is right above). */
  const skipRest = (from: CheckId, reason: string) => {
    let first = true;
    for (const id of order.slice(order.indexOf(from))) {
      if (checks.has(id)) continue;
      record(id, { status: 'skipped', detail: first ? reason : 'Skipped.' });
      first = false;
    }
  };
  /** Runs one check; an AppFailure from `body` becomes a failed check. Returns false when the test must stop. */
  const step = async (id: CheckId, body: () => Promise<PreflightCheck>): Promise<boolean> => {
    deps.onStep?.(id, 'running');
    try {
      const check = await body();
      return check.status !== 'fail' && check.status !== 'action';
    } catch (error) {
      failed(id, toAppError(error));
      return false;
    }
  };
  const finish = () => {
    report.checks = order.map((id) => checks.get(id)).filter((c): c is PreflightCheck => c !== undefined);
    report.status = worst(report.checks);
    return report;
  };

  // 1. TCP: is anything listening there?
  const connect = deps.tcpConnect ?? tcpConnect;
  const tcpOk = await step('tcp', async () => {
    try {
      const ms = await connect(connection.host, connection.port, deps.timeoutMs);
      return record('tcp', { status: 'ok', detail: `${endpoint} accepted a connection in ${Math.round(ms)} ms.`, ms });
    } catch (error) {
      return failed('tcp', toAppError(mapConnectionError(error, { label, host: connection.host, port: connection.port, username: connection.username, connectTimeoutMs: deps.timeoutMs })));
    }
  });
  if (!tcpOk) {
    skipRest('host-key', `Skipped: ${endpoint} cannot be reached.`);
    return finish();
  }

  // 2. Host key: first contact, trusted, or changed.
  let presented: HostKeyInfo | null = null;
  const keyOk = await step('host-key', async () => {
    const key = await deps.probeHostKey(connection.host, connection.port);
    presented = { type: key.type, sha256: key.sha256 };
    report.hostKey.presented = presented;
    const compare = [{ label: 'On the NAS console, this prints the fingerprint to compare', command: fingerprintCommand(key.type) }];
    if (!connection.hostKey) {
      report.hostKey.state = 'unconfirmed';
      return record('host-key', {
        status: 'action',
        detail: `First contact: the NAS presents ${key.type} ${key.sha256}.`,
        hint: 'Compare this fingerprint with the one the NAS prints on its own console, then confirm it. The app will refuse any other key for this NAS from then on.',
        commands: compare,
      });
    }
    if (connection.hostKey.sha256 !== key.sha256) {
      report.hostKey.state = 'mismatch';
      const error: AppError = {
        code: 'HOST_KEY_MISMATCH',
        message: `The host key of ${endpoint} has changed: ${connection.hostKey.type} ${connection.hostKey.sha256} was confirmed, the NAS now presents ${key.type} ${key.sha256}. The connection is blocked.`,
        hint: 'A NAS reinstall or an sshd key regeneration changes the key, but so does a man-in-the-middle attack. Check the new fingerprint on the NAS console; only if it matches, trust the new key.',
        details: { via: 'app', host: connection.host, port: connection.port, connectionId: connection.id, expected: { type: connection.hostKey.type, sha256: connection.hostKey.sha256 }, presented },
      };
      return failed('host-key', error, { commands: compare });
    }
    report.hostKey.state = 'trusted';
    return record('host-key', { status: 'ok', detail: `${key.type} ${key.sha256}, as confirmed on ${connection.hostKey.pinnedAt.slice(0, 10)}.` });
  });
  if (!keyOk) {
    skipRest('login', report.hostKey.state === 'unconfirmed' ? 'Waiting for you to confirm the host key.' : 'Skipped: the host key is not trusted.');
    return finish();
  }

  // 3. Login with the key (or agent / key file).
  const loginOk = await step('login', async () => {
    const { handshakeMs } = await deps.login(connection);
    const how = connection.auth.kind === 'app-key' ? "the app's key" : connection.auth.kind === 'agent' ? 'ssh-agent' : connection.auth.keyPath;
    return record('login', { status: 'ok', detail: `Signed in as ${connection.username} with ${how} in ${Math.round(handshakeMs)} ms.`, ms: handshakeMs });
  });
  if (!loginOk) {
    skipRest('privilege', 'Skipped: the app cannot sign in yet.');
    return finish();
  }

  // 4. What runs zfs, and may it? The capability probe runs first (unprivileged: it finds the zfs tools and their
  // version); when it fails, zfs is missing or too old, which the OpenZFS check reports.
  deps.onStep?.('privilege', 'running');
  let host: ZfsHost;
  try {
    host = await deps.host(connection);
  } catch (error) {
    record('privilege', { status: 'skipped', detail: 'Skipped: OpenZFS could not be used on this NAS (see below).' });
    failed('zfs', toAppError(error));
    skipRest('pools', 'Skipped: OpenZFS could not be used on this NAS.');
    return finish();
  }
  const zfsHost: ZfsHost = host;
  const capabilities: ZfsCapabilities = zfsHost.capabilities;
  const privilegeOk = await step('privilege', async () => record('privilege', await privilegeCheck(connection, zfsHost)));

  // 5. OpenZFS version and the features replication relies on.
  await step('zfs', async () => {
    const caps = capabilities;
    report.zfsVersion = caps.userland.text;
    report.os = `${caps.os} ${caps.osRelease}`;
    const kernel = caps.kernel && caps.kernel.text !== caps.userland.text ? ` (kernel module ${caps.kernel.text})` : '';
    const pools = Object.entries(caps.pools);
    const missing = pools.flatMap(([pool, p]) => [
      ...(p.bookmarks ? [] : [`${pool}: no bookmarks`]),
      ...(p.resumableReceive ? [] : [`${pool}: no resumable receive`]),
    ]);
    const features = ['bookmarks', 'resumable receive', 'raw encrypted send', ...(caps.jsonOutput ? ['JSON output'] : [])];
    return record('zfs', {
      status: missing.length > 0 ? 'warn' : 'ok',
      detail: `${caps.userland.text}${kernel} on ${caps.os} ${caps.osRelease}. ${missing.length > 0 ? `Missing: ${missing.join('; ')}.` : `Supports ${features.join(', ')}.`}`,
      hint: missing.length > 0 ? 'Enable the missing pool features with `zpool upgrade POOL` (after checking that every system that imports the pool supports them).' : null,
    });
  });

  // 6. Pools with health and space.
  if (privilegeOk) {
    await step('pools', async () => {
      const pools = await deps.listPools(zfsHost);
      report.pools = pools;
      if (pools.length === 0) return record('pools', { status: 'warn', detail: 'No pool is imported on this NAS.', hint: 'Create or import a pool on the NAS (zpool import).' });
      const unhealthy = pools.filter((p) => p.health !== 'ONLINE');
      return record('pools', {
        status: unhealthy.length > 0 ? 'warn' : 'ok',
        detail: pools.map((p) => `${p.name} ${p.health}, ${formatGiB(p.freeBytes)} free of ${formatGiB(p.sizeBytes)}`).join('; '),
        hint: unhealthy.length > 0 ? `Check ${unhealthy.map((p) => p.name).join(', ')} with "zpool status -x" on the NAS.` : null,
      });
    });
  } else skipRest('pools', 'Skipped: zfs cannot run with the chosen privilege yet.');

  return finish();
}

function formatGiB(bytes: number): string {
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

async function privilegeCheck(connection: Connection, host: ZfsHost): Promise<Partial<PreflightCheck> & Pick<PreflightCheck, 'status' | 'detail'>> {
  const { capabilities } = host;
  const user = connection.username;
  const pools = Object.keys(capabilities.pools);
  const poolsOrPlaceholder = pools.length > 0 ? pools : ['POOL'];
  switch (connection.privilege) {
    case 'root':
      if (capabilities.loginIsRoot) return { status: 'ok', detail: 'Signed in as root: zfs runs with full rights.' };
      return {
        status: 'fail',
        detail: `"${user}" is not root, so zfs cannot create, receive or destroy datasets as root would.`,
        hint: 'Edit this NAS and choose "sudo" (TrueNAS SCALE admin) or "delegated" (zfs allow) as the privilege, or sign in as root.',
      };
    case 'sudo': {
      const started = performance.now();
      try {
        await host.runner.run([capabilities.tools.zfs, 'list', '-H', '-o', 'name', '-d', '0'], { timeoutMs: 30_000 });
        await host.runner.run([capabilities.tools.zpool, 'list', '-H', '-o', 'name'], { timeoutMs: 30_000 });
      } catch (error) {
        const appError = toAppError(error);
        return {
          status: 'fail',
          detail: appError.message,
          hint:
            appError.code === 'SUDO_PASSWORD_REQUIRED' || appError.code === 'PERMISSION_DENIED'
              ? `The app runs "sudo -n zfs", which never asks for a password. Let ${user} run zfs and zpool without one: on the NAS run "sudo visudo -f /etc/sudoers.d/zfs-replication" and add the line below (TrueNAS SCALE: Credentials > Users > ${user} > "Allowed sudo commands with no password": /usr/sbin/zfs, /usr/sbin/zpool). Or choose "delegated" and grant zfs allow permissions.`
              : (appError.hint ?? null),
          commands: [{ label: `sudoers line for ${user}`, command: sudoersLine(user) }],
          error: appError,
        };
      }
      return { status: 'ok', detail: `sudo -n runs zfs and zpool for ${user} without a password.`, ms: performance.now() - started };
    }
    case 'delegated': {
      const granted: string[] = [];
      for (const pool of pools) {
        const { stdout } = await host.runner.run([capabilities.tools.zfs, 'allow', pool], { privileged: false, timeoutMs: 30_000 });
        if (new RegExp(`\\buser ${user.replace(/[.]/g, '\\.')}\\b`).test(stdout)) granted.push(pool);
      }
      const commands = poolsOrPlaceholder.flatMap((pool) => [
        { label: `As a replication source (on ${pool})`, command: `zfs allow -u ${user} ${[...sourcePermissions, 'destroy', 'mount'].join(',')} ${pool}` },
        { label: `As a replication destination (on ${pool})`, command: `zfs allow -u ${user} ${[...destinationPermissions, 'hold', 'release'].join(',')} ${pool}` },
      ]);
      if (granted.length === 0) {
        return {
          status: 'warn',
          detail: `No zfs allow permissions for ${user} on ${pools.length > 0 ? pools.join(', ') : 'any pool'}.`,
          hint: `Grant them as root on the NAS (or narrow them to the datasets you replicate). Each task's exact lines are under the task's "zfs allow" menu.`,
          commands,
        };
      }
      return { status: 'ok', detail: `${user} has zfs allow permissions on ${granted.join(', ')}.`, commands: granted.length < pools.length ? commands : [] };
    }
  }
}
