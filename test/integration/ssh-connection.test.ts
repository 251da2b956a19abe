import { createServer } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppFailure, stderrOf } from '../../shared/result.ts';
import { connectSsh } from '../../electron/services/ssh/ssh-connect.ts';
import { resolveCredentials } from '../../electron/services/ssh/ssh-credentials.ts';
import { DirectCommandRunner } from '../../electron/services/ssh/ssh-command-runner.ts';
import { sshOk, type TestbedInfo } from '../nas/testbed.ts';
import { connectionTo, sshApp, vmNamed, type SshApp } from './support/ssh-app.ts';

// The app's SSH stack (ssh2) against the test VMs: first contact and pinning, auth and reachability errors,
// sudo, quoting, streaming, timeouts, pool reuse and the channel cap, and a changed host key.

const testbed = inject('testbed') as TestbedInfo;
const nasA = vmNamed(testbed, 'nas-a');
const nasB = vmNamed(testbed, 'nas-b');
const report = (line: string) => console.log(`[ssh-it] ${line}`);

async function expectFailure(promise: Promise<unknown>, code: string): Promise<AppFailure> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppFailure);
  expect((error as AppFailure).code).toBe(code);
  return error as AppFailure;
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

let app: SshApp;
beforeAll(() => {
  app = sshApp();
});
afterAll(async () => {
  await app?.dispose();
});

describe('host keys', () => {
  it('probes the host key: type and SHA256 fingerprint as ssh-keygen prints them on the NAS', async () => {
    const probed = await app.services.probeHostKey(nasA.host, nasA.port);
    report(`probeHostKey ${nasA.name}: ${probed.type} ${probed.sha256} (${probed.serverSoftware}), ${Math.round(probed.handshakeMs)} ms`);
    const onNas = await sshOk(nasA, 'root', `ssh-keygen -lf /etc/ssh/ssh_host_${probed.type === 'ssh-ed25519' ? 'ed25519' : probed.type.startsWith('ecdsa') ? 'ecdsa' : 'rsa'}_key.pub`);
    expect(onNas.split(' ')[1]).toBe(probed.sha256);
    expect(probed.type).toBe('ssh-ed25519');
  });

  it('first contact is refused with HOST_KEY_UNCONFIRMED and the fingerprint; after confirming it connects', async () => {
    const connection = connectionTo(nasA, 'root', 'root');
    const runner = app.services.runnerFor(connection);
    const failure = await expectFailure(runner.run(['true']), 'HOST_KEY_UNCONFIRMED');
    const probed = await app.services.probeHostKey(nasA.host, nasA.port);
    expect(failure.appError.details).toEqual({ via: 'app', host: nasA.host, port: nasA.port, connectionId: connection.id, presented: { type: probed.type, sha256: probed.sha256 } });
    expect(app.trust.get(connection.id)).toBeNull();
    // A confirmation of some other fingerprint pins nothing.
    await expectFailure(app.services.confirmHostKey(connection, 'SHA256:notTheRightOne'), 'HOST_KEY_MISMATCH');
    expect(app.trust.get(connection.id)).toBeNull();
    await app.services.confirmHostKey(connection, probed.sha256);
    expect(app.trust.get(connection.id)).toMatchObject({ type: probed.type, sha256: probed.sha256 });
    expect((await runner.run(['hostname'])).stdout.trim()).toBe('nas-a');
  });
});

describe('login and reachability errors', () => {
  it('a wrong password is AUTH_FAILED, and the password shows nowhere', async () => {
    const connection = connectionTo(nasA, 'admin', 'sudo');
    await app.pin(connection);
    const failure = await expectFailure(
      connectSsh({ connectionId: connection.id, host: nasA.host, port: nasA.port, username: 'admin', credentials: { password: 'not-the-password', description: 'password' }, trust: app.trust, connectTimeoutMs: 60_000 }),
      'AUTH_FAILED',
    );
    expect(JSON.stringify(failure.appError)).not.toContain('not-the-password');
    expect(failure.message).toContain('admin@127.0.0.1');
  });

  it('a closed port is HOST_UNREACHABLE naming host:port', async () => {
    const port = await closedPort();
    const connection = { ...connectionTo(nasA, 'root', 'root'), port };
    const failure = await expectFailure(app.services.runnerFor(connection).run(['true']), 'HOST_UNREACHABLE');
    expect(failure.message).toContain(`127.0.0.1:${port}`);
    expect(failure.message).toMatch(/refused/);
    await expectFailure(app.services.probeHostKey('127.0.0.1', port), 'HOST_UNREACHABLE');
  });
});

describe('privilege', () => {
  it('admin runs zfs through sudo -n (TrueNAS SCALE style)', async () => {
    const connection = connectionTo(nasA, 'admin', 'sudo');
    await app.pin(connection);
    const runner = app.services.runnerFor(connection);
    expect((await runner.run(['zpool', 'list', '-H', '-o', 'name'])).stdout.trim()).toBe('tank');
    // Unprivileged commands run as admin itself.
    expect((await runner.run(['id', '-un'], { privileged: false })).stdout.trim()).toBe('admin');
    // sudoers allows admin zfs and zpool only: for anything else sudo -n wants a password.
    const refused = await expectFailure(runner.run(['id', '-un']), 'SUDO_PASSWORD_REQUIRED');
    expect(refused.appError.hint).toContain('admin ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool');
  });

  it('sudopw (sudo wants a password) gets SUDO_PASSWORD_REQUIRED with the sudoers line', async () => {
    const connection = connectionTo(nasA, 'sudopw', 'sudo');
    await app.pin(connection);
    const failure = await expectFailure(app.services.runnerFor(connection).run(['zfs', 'list', '-H', '-o', 'name', 'tank']), 'SUDO_PASSWORD_REQUIRED');
    expect(failure.appError.hint).toContain('sudopw ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool');
    expect(failure.appError.details).toMatchObject({ username: 'sudopw', sudoersLine: 'sudopw ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool' });
    report(`sudo password prompt for sudopw: ${stderrOf(failure)}`);
  });

  it('delegate runs zfs without sudo', async () => {
    const connection = connectionTo(nasA, 'delegate', 'delegated');
    await app.pin(connection);
    expect((await app.services.runnerFor(connection).run(['zfs', 'list', '-H', '-o', 'name', 'tank'])).stdout.trim()).toBe('tank');
  });
});

describe('commands', () => {
  let root: ReturnType<SshApp['services']['runnerFor']>;
  beforeAll(async () => {
    const connection = connectionTo(nasA, 'root', 'root');
    await app.pin(connection);
    root = app.services.runnerFor(connection);
  });

  it('arguments with quotes, spaces, $(...) and newlines reach the NAS literally', async () => {
    const nasty = ["it's", 'a b  c', '$(touch /tmp/zrd-pwned)', '`id`', '$HOME', '"dq" \\bs', 'new\nline', '*', '~root', '', ';|&<>!#', 'ünïcødé', 'a=b'];
    for (const arg of nasty) expect((await root.run(['printf', '%s', arg])).stdout).toBe(arg);
    expect((await root.run(['printf', '[%s]', ...nasty])).stdout).toBe(nasty.map((a) => `[${a}]`).join(''));
    expect((await root.run(['sh', '-c', 'test -e /tmp/zrd-pwned && echo yes || echo no'])).stdout.trim()).toBe('no');
  });

  it('maps real failures: missing command, missing dataset, existing dataset', async () => {
    const notFound = await expectFailure(root.run(['zrd-no-such-command']), 'COMMAND_NOT_FOUND');
    expect(notFound.appError.details).toMatchObject({ exitCode: 127 });
    await expectFailure(root.run(['zfs', 'list', '-H', 'tank/zrd-ssh-it-missing']), 'DATASET_NOT_FOUND');
    await root.run(['zfs', 'create', 'tank/zrd-ssh-it-exists']);
    try {
      await expectFailure(root.run(['zfs', 'create', 'tank/zrd-ssh-it-exists']), 'DATASET_EXISTS');
    } finally {
      await root.run(['zfs', 'destroy', 'tank/zrd-ssh-it-exists']);
    }
    const fallback = await expectFailure(root.run(['sh', '-c', 'echo first >&2; echo the last words >&2; exit 3']), 'REMOTE_COMMAND_FAILED');
    expect(fallback.message).toContain('the last words');
    expect((await root.run(['sh', '-c', 'exit 3'], { expectedExitCodes: [3] })).exitCode).toBe(3);
  });

  it('streams stdin from a Readable and stdout into a Writable', async () => {
    const payload = Buffer.alloc(256 * 1024, 7);
    const sum = (await root.run(['sha256sum'], { stdin: Readable.from([payload.subarray(0, 100_000), payload.subarray(100_000)]) })).stdout.split(' ')[0];
    const { createHash } = await import('node:crypto');
    expect(sum).toBe(createHash('sha256').update(payload).digest('hex'));
    let received = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        received += chunk.length;
        cb();
      },
    });
    const live: number[] = [];
    const result = await root.run(['head', '-c', '300000', '/dev/zero'], { stdoutTo: sink, onStdout: (c) => live.push(c.length) });
    expect(received).toBe(300_000);
    expect(live.reduce((a, b) => a + b, 0)).toBe(300_000);
    expect(result.stdout).toBe('');
  });

  it('a pipe between two NAS through this computer (relay): send on A, receive on B', async () => {
    const connectionB = connectionTo(nasB, 'root', 'root');
    await app.pin(connectionB);
    const onB = app.services.runnerFor(connectionB);
    const relay = new PassThrough();
    const receiving = onB.run(['sh', '-c', 'wc -c'], { stdin: relay });
    await root.run(['head', '-c', '123456', '/dev/urandom'], { stdoutTo: relay });
    expect((await receiving).stdout.trim()).toBe('123456');
  });

  it('a timeout stops the command on the NAS: root by its PID, other users also by the channel signal', async () => {
    const admin = connectionTo(nasA, 'admin', 'sudo');
    await app.pin(admin);
    for (const [who, runner, seconds] of [['root', root, '47'], ['admin', app.services.runnerFor(admin), '48']] as const) {
      const started = Date.now();
      const failure = await expectFailure(runner.run(['sleep', seconds], { timeoutMs: 1500, privileged: false }), 'TIMEOUT');
      const ms = Date.now() - started;
      expect(ms).toBeLessThan(10_000);
      expect(failure.message).toContain(`sleep ${seconds}`);
      await new Promise((r) => setTimeout(r, 500));
      const left = (await root.run(['sh', '-c', `ps -eo args= | grep -cx "sleep ${seconds}" || true`])).stdout.trim();
      expect(left).toBe('0');
      report(`timeout 1.5 s as ${who}: "sleep ${seconds}" stopped after ${ms} ms, remote processes left: ${left}`);
    }
  });

  it('an AbortSignal cancels a running command', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 500);
    const started = Date.now();
    await expectFailure(root.run(['sleep', '30'], { signal: controller.signal }), 'CANCELLED');
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect((await root.run(['sh', '-c', 'ps -eo args= | grep -cx "sleep 30" || true'])).stdout.trim()).toBe('0');
  });
});

describe('pool', () => {
  it('runs many commands over one TCP connection, far faster than a connection per command', async () => {
    const local = sshApp();
    try {
      const connection = connectionTo(nasB, 'root', 'root');
      await local.pin(connection);
      const runner = local.services.runnerFor(connection);
      const t0 = performance.now();
      const first = (await runner.run(['sh', '-c', 'echo $SSH_CONNECTION'])).stdout.trim();
      const firstMs = performance.now() - t0;
      const n = 20;
      const t1 = performance.now();
      const seen = new Set<string>();
      for (let i = 0; i < n; i += 1) seen.add((await runner.run(['sh', '-c', 'echo $SSH_CONNECTION'])).stdout.trim());
      const sequentialMs = performance.now() - t1;
      const t2 = performance.now();
      const parallel = await Promise.all(Array.from({ length: n }, () => runner.run(['sh', '-c', 'echo $SSH_CONNECTION'])));
      const parallelMs = performance.now() - t2;
      for (const r of parallel) seen.add(r.stdout.trim());
      expect([...seen]).toEqual([first]);
      const stats = local.services.stats(connection.id)!;
      expect(stats.connects).toBe(1);
      expect(stats.peakChannels).toBeLessThanOrEqual(8);

      // Baseline: a fresh ssh2 connection (handshake + auth) for each command.
      const credentials = await resolveCredentials(connection.auth, { configDir: local.configDir });
      const fresh = 3;
      const t3 = performance.now();
      const handshakes: number[] = [];
      for (let i = 0; i < fresh; i += 1) {
        const session = await connectSsh({ connectionId: connection.id, host: connection.host, port: connection.port, username: 'root', credentials, trust: local.trust, connectTimeoutMs: 60_000 });
        handshakes.push(session.handshakeMs);
        await new DirectCommandRunner({ client: session.client, host: connection.host, port: connection.port, username: 'root', privilege: 'root' }).run(['true']);
        session.client.end();
      }
      const freshMs = performance.now() - t3;
      const perSecond = (count: number, ms: number) => (count / (ms / 1000)).toFixed(1);
      report(
        `first command incl. handshake ${Math.round(firstMs)} ms (handshake ${Math.round(stats.lastHandshakeMs ?? 0)} ms); pooled: ${n} sequential in ${Math.round(sequentialMs)} ms (${perSecond(n, sequentialMs)}/s), ` +
          `${n} concurrent in ${Math.round(parallelMs)} ms (${perSecond(n, parallelMs)}/s, peak ${stats.peakChannels} channels); ` +
          `fresh connection per command: ${fresh} in ${Math.round(freshMs)} ms (${perSecond(fresh, freshMs)}/s, handshakes ${handshakes.map(Math.round).join('/')} ms)`,
      );
      expect(sequentialMs / n).toBeLessThan(freshMs / fresh);
    } finally {
      await local.dispose();
    }
  });

  it('caps concurrent channels: excess commands wait their turn', async () => {
    const capped = sshApp({ maxSessions: 2 });
    try {
      const connection = connectionTo(nasB, 'root', 'root');
      await capped.pin(connection);
      const runner = capped.services.runnerFor(connection);
      await runner.run(['true']);
      // Each command counts the commands running beside it on the NAS (marker files), clock-free.
      await runner.run(['sh', '-c', 'rm -rf /tmp/zrd-cap && mkdir /tmp/zrd-cap']);
      const t0 = performance.now();
      const counts = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const { stdout } = await runner.run(['sh', '-c', 'touch /tmp/zrd-cap/$$; sleep 1; n=$(ls /tmp/zrd-cap | wc -l); rm /tmp/zrd-cap/$$; echo $n']);
          return Number(stdout.trim());
        }),
      );
      const wallMs = performance.now() - t0;
      expect(Math.max(...counts)).toBeLessThanOrEqual(2);
      expect(capped.services.stats(connection.id)).toMatchObject({ connects: 1, peakChannels: 2, activeChannels: 0, queued: 0 });
      expect(wallMs).toBeGreaterThan(3000);
      report(`channel cap 2: 6 x "sleep 1" saw at most ${Math.max(...counts)} running at once on the NAS, ${(wallMs / 1000).toFixed(1)} s wall`);
    } finally {
      await capped.dispose();
    }
  });

  it('reconnects on next use when the connection dropped', async () => {
    const connection = connectionTo(nasB, 'root', 'root');
    await app.pin(connection);
    const runner = app.services.runnerFor(connection);
    await runner.run(['true']);
    const session = await app.services.pool.connect({ connectionId: connection.id, host: connection.host, port: connection.port, username: 'root', authKey: JSON.stringify(connection.auth) });
    (session.client as unknown as { destroy(): void }).destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(app.services.stats(connection.id)?.connected).toBe(false);
    expect((await runner.run(['hostname'])).stdout.trim()).toBe('nas-b');
    expect(app.services.stats(connection.id)?.connects).toBe(2);
  });
});

describe('changed host key', () => {
  it('is detected and blocked with both fingerprints; re-trusting the new key lets it connect', async () => {
    const connection = connectionTo(nasB, 'root', 'root');
    await app.pin(connection);
    const runner = app.services.runnerFor(connection);
    const before = app.trust.get(connection.id)!;
    await runner.run(['true']);
    // Regenerate nas-b's host keys and restart sshd; the originals are put back afterwards (other files pin them).
    await sshOk(nasB, 'root', 'set -e; mkdir -p /root/zrd-hostkeys; cp -p /etc/ssh/ssh_host_* /root/zrd-hostkeys/; rm -f /etc/ssh/ssh_host_*; ssh-keygen -A >/dev/null; systemctl restart ssh');
    try {
      app.services.pool.close(connection.id);
      const failure = await expectFailure(runner.run(['true']), 'HOST_KEY_MISMATCH');
      const details = failure.appError.details as { host: string; expected: { sha256: string }; presented: { sha256: string } };
      expect(details).toMatchObject({ via: 'app', host: expect.any(String) });
      expect(details.expected.sha256).toBe(before.sha256);
      expect(details.presented.sha256).not.toBe(before.sha256);
      expect(failure.message).toContain(before.sha256);
      expect(failure.message).toContain(details.presented.sha256);
      expect(failure.appError.hint).toMatch(/trust the new key/);
      // The pin is untouched until the admin re-trusts.
      expect(app.trust.get(connection.id)?.sha256).toBe(before.sha256);
      await app.services.confirmHostKey(connection, details.presented.sha256);
      await runner.run(['true']);
      report(`host key change on nas-b: blocked (${before.sha256} -> ${details.presented.sha256}), re-trusted, connected`);
    } finally {
      await sshOk(nasB, 'root', 'set -e; rm -f /etc/ssh/ssh_host_*; cp -p /root/zrd-hostkeys/* /etc/ssh/; rm -rf /root/zrd-hostkeys; systemctl restart ssh');
    }
    const restored = await app.services.probeHostKey(nasB.host, nasB.port);
    expect(restored.sha256).toBe(before.sha256);
  });
});
