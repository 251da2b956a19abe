import { describe, expect, it } from 'vitest';
import { runPreflight, type PreflightDeps } from '../../../../../electron/services/fleet/preflight.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import type { Connection } from '../../../../../shared/schemas.ts';
import { FakeRunner, testCapabilities } from '../zfs/fake-runner.ts';

const key = { type: 'ssh-ed25519', sha256: 'SHA256:presentedpresentedpresentedpresentedpres' };
const connection = (extra: Partial<Connection> = {}): Connection => ({
  id: '11111111-1111-4111-8111-111111111111',
  name: 'nas-a',
  host: '127.0.0.1',
  port: 2222,
  username: 'root',
  auth: { kind: 'app-key' },
  privilege: 'root',
  hostKey: { ...key, pinnedAt: '2026-11-30T10:00:00.000Z' },
  createdAt: '2026-11-30T10:00:00.000Z',
  updatedAt: '2026-11-30T10:00:00.000Z',
  ...extra,
});

const pools = [{ name: 'tank', guid: '1234', health: 'ONLINE', sizeBytes: 2 ** 30, allocatedBytes: 2 ** 28, freeBytes: 3 * 2 ** 28, capacityPercent: 25, fragmentationPercent: 0, readonly: false }];

function deps(overrides: Partial<PreflightDeps> & { runner?: FakeRunner; loginIsRoot?: boolean } = {}): PreflightDeps & { steps: string[] } {
  const steps: string[] = [];
  const runner = overrides.runner ?? new FakeRunner();
  return {
    steps,
    tcpConnect: async () => 3,
    probeHostKey: async () => key,
    login: async () => ({ handshakeMs: 120 }),
    host: async () => ({ runner, capabilities: { ...testCapabilities, loginIsRoot: overrides.loginIsRoot ?? true, pools: { tank: { features: {}, bookmarks: true, encryption: true, resumableReceive: true, largeBlocks: true } } } }),
    listPools: async () => pools,
    timeoutMs: 5000,
    onStep: (check, state) => steps.push(`${check}:${state}`),
    ...overrides,
  };
}

const statuses = (report: Awaited<ReturnType<typeof runPreflight>>) => Object.fromEntries(report.checks.map((c) => [c.id, c.status]));

describe('pre-flight test', () => {
  it('passes every check on a healthy NAS, streaming each step', async () => {
    const d = deps();
    const report = await runPreflight(connection(), d);
    expect(statuses(report)).toEqual({ tcp: 'ok', 'host-key': 'ok', login: 'ok', privilege: 'ok', zfs: 'ok', pools: 'ok' });
    expect(report.status).toBe('ok');
    expect(report.pools).toEqual(pools);
    expect(report.zfsVersion).toBe('zfs-2.3.2-2~bpo12+2');
    expect(d.steps.slice(0, 4)).toEqual(['tcp:running', 'tcp:ok', 'host-key:running', 'host-key:ok']);
  });

  it('stops at a closed port with the reason and skips the rest', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2299'), { code: 'ECONNREFUSED' });
    const report = await runPreflight(connection({ port: 2299 }), deps({ tcpConnect: async () => Promise.reject(refused) }));
    expect(statuses(report)).toEqual({ tcp: 'fail', 'host-key': 'skipped', login: 'skipped', privilege: 'skipped', zfs: 'skipped', pools: 'skipped' });
    const tcp = report.checks[0]!;
    expect(tcp.error?.code).toBe('HOST_UNREACHABLE');
    expect(tcp.detail).toContain('refused');
    expect(tcp.hint).toContain('127.0.0.1:2299');
    // The first skipped check says why; the others just that they were skipped.
    expect(report.checks.slice(1).map((c) => c.detail)).toEqual(['Skipped: 127.0.0.1:2299 cannot be reached.', 'Skipped.', 'Skipped.', 'Skipped.', 'Skipped.']);
  });

  it('asks the admin on first contact, with the fingerprint and the console command to compare it', async () => {
    const report = await runPreflight(connection({ hostKey: null }), deps());
    expect(statuses(report)).toMatchObject({ tcp: 'ok', 'host-key': 'action', login: 'skipped' });
    expect(report.hostKey).toEqual({ state: 'unconfirmed', presented: key, pinned: null });
    const check = report.checks[1]!;
    expect(check.detail).toContain(key.sha256);
    expect(check.commands).toEqual([{ label: expect.any(String), command: 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' }]);
    expect(report.status).toBe('action');
  });

  it('blocks a changed host key with both fingerprints', async () => {
    const other = { type: 'ssh-ed25519', sha256: 'SHA256:otherotherotherotherotherotherotherotherot' };
    const report = await runPreflight(connection(), deps({ probeHostKey: async () => other }));
    expect(statuses(report)).toMatchObject({ 'host-key': 'fail', login: 'skipped' });
    expect(report.hostKey.state).toBe('mismatch');
    const error = report.checks[1]!.error!;
    expect(error.code).toBe('HOST_KEY_MISMATCH');
    expect(error.details).toEqual({ via: 'app', host: '127.0.0.1', port: 2222, connectionId: connection().id, expected: key, presented: other });
    expect(error.message).toContain(key.sha256);
    expect(error.message).toContain(other.sha256);
  });

  it('reports a refused key login and skips what needs it', async () => {
    const report = await runPreflight(connection(), deps({ login: async () => Promise.reject(new AppFailure('AUTH_FAILED', 'root@127.0.0.1:2222: the NAS refused the login.')) }));
    expect(statuses(report)).toMatchObject({ login: 'fail', privilege: 'skipped', zfs: 'skipped', pools: 'skipped' });
    expect(report.checks[2]!.error?.code).toBe('AUTH_FAILED');
  });

  it('gives the sudoers line when sudo wants a password', async () => {
    const runner = new FakeRunner().reply(new AppFailure('SUDO_PASSWORD_REQUIRED', 'sudopw@nas-a: sudo asked for a password to run zfs.', undefined, { command: 'sudo -n /usr/sbin/zfs list -H -o name -d 0', username: 'sudopw', sudoersLine: 'sudopw ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool' }));
    const report = await runPreflight(connection({ username: 'sudopw', privilege: 'sudo' }), deps({ runner, loginIsRoot: false }));
    expect(statuses(report)).toMatchObject({ privilege: 'fail', zfs: 'ok', pools: 'skipped' });
    const privilege = report.checks[3]!;
    expect(privilege.commands).toEqual([{ label: 'sudoers line for sudopw', command: 'sudopw ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool' }]);
    expect(privilege.hint).toContain('sudo -n');
    expect(runner.calls[0]!.argv).toEqual(['/usr/sbin/zfs', 'list', '-H', '-o', 'name', '-d', '0']);
  });

  it('refuses "root" for a user that is not root', async () => {
    const report = await runPreflight(connection({ username: 'admin' }), deps({ loginIsRoot: false }));
    expect(report.checks[3]).toMatchObject({ status: 'fail', detail: expect.stringContaining('"admin" is not root') });
  });

  it('lists the zfs allow lines for a delegated user without permissions', async () => {
    const runner = new FakeRunner().reply('---- Permissions on tank ---------\n');
    const report = await runPreflight(connection({ username: 'delegate', privilege: 'delegated' }), deps({ runner, loginIsRoot: false }));
    const privilege = report.checks[3]!;
    expect(privilege.status).toBe('warn');
    expect(privilege.commands.map((c) => c.command)).toEqual([
      'zfs allow -u delegate send,snapshot,hold,release,bookmark,userprop,destroy,mount tank',
      'zfs allow -u delegate create,mount,receive,rollback,destroy,userprop,hold,release tank',
    ]);
    expect(statuses(report).pools).toBe('ok');
  });

  it('reports a missing or old OpenZFS under its own check', async () => {
    const report = await runPreflight(connection(), deps({ host: async () => Promise.reject(new AppFailure('UNSUPPORTED_VERSION', 'nas-a runs OpenZFS 0.8.')) }));
    expect(statuses(report)).toMatchObject({ login: 'ok', privilege: 'skipped', zfs: 'fail', pools: 'skipped' });
    expect(report.checks[4]!.detail).toContain('0.8');
  });
});
