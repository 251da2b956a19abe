import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppFailure, stderrOf } from '../../shared/result.ts';
import { nasToNasSshArgv, type KeyExchangeStep } from '../../electron/services/ssh/key-exchange.ts';
import { sshOk, type TestbedInfo } from '../nas/testbed.ts';
import { connectionTo, sshApp, vmNamed, type SshApp } from './support/ssh-app.ts';

// The guided key exchanges on the test VMs: app -> NAS by password, then NAS <-> NAS for direct replication.

const testbed = inject('testbed') as TestbedInfo;
const nasA = vmNamed(testbed, 'nas-a');
const nasB = vmNamed(testbed, 'nas-b');
const report = (line: string) => console.log(`[ssh-it] ${line}`);

let app: SshApp;
beforeAll(() => {
  app = sshApp();
});
afterAll(async () => {
  await app?.dispose();
});

describe('app -> NAS key installation', () => {
  it('installs the app key with the password once, then logs in with the key only; idempotent', async () => {
    const connection = connectionTo(nasA, 'delegate', 'delegated', { kind: 'app-key' });
    // Without a confirmed host key not even the password login happens.
    const steps: KeyExchangeStep[] = [];
    const unconfirmed = await app.services.installAppKey(connection, 'zrd-delegate', (s) => steps.push(s)).catch((e: unknown) => e);
    expect(unconfirmed).toMatchObject({ code: 'HOST_KEY_UNCONFIRMED' });
    expect(steps).toMatchObject([{ step: 'password-login', status: 'running' }, { step: 'password-login', status: 'failed' }]);

    await app.pin(connection);
    // Before: the app key does not work.
    await expect(app.services.runnerFor(connection).run(['true'])).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    app.services.pool.close(connection.id);

    steps.length = 0;
    const t0 = performance.now();
    const result = await app.services.installAppKey(connection, 'zrd-delegate', (s) => steps.push(s));
    const ms = performance.now() - t0;
    expect(result.added).toBe(true);
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'password-login:running', 'password-login:done', 'install-key:running', 'install-key:done', 'verify-key-login:running', 'verify-key-login:done',
    ]);
    expect(JSON.stringify(steps)).not.toContain('zrd-delegate');
    report(`app key install for delegate@nas-a: ${Math.round(ms)} ms for password login + install + key-only login (${Math.round(result.keyLoginMs)} ms)`);

    const publicKey = await app.services.appPublicKey();
    const authorized = await sshOk(nasA, 'delegate', 'cat ~/.ssh/authorized_keys; stat -c %a ~/.ssh ~/.ssh/authorized_keys');
    expect(authorized.split('\n').filter((l) => l === publicKey)).toHaveLength(1);
    expect(authorized).toMatch(/\n700\n600\n$/);

    expect((await app.services.runnerFor(connection).run(['id', '-un'])).stdout.trim()).toBe('delegate');
    const again = await app.services.installAppKey(connection, 'zrd-delegate');
    expect(again.added).toBe(false);
    const after = await sshOk(nasA, 'delegate', 'cat ~/.ssh/authorized_keys');
    expect(after.split('\n').filter((l) => l === publicKey)).toHaveLength(1);
  });

  it('a wrong password fails at the password step with AUTH_FAILED and changes nothing', async () => {
    const connection = connectionTo(nasA, 'sudopw', 'sudo', { kind: 'app-key' });
    await app.pin(connection);
    const before = await sshOk(nasA, 'sudopw', 'cat ~/.ssh/authorized_keys');
    const steps: KeyExchangeStep[] = [];
    const failure = await app.services.installAppKey(connection, 'wrong-password', (s) => steps.push(s)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AppFailure);
    expect((failure as AppFailure).code).toBe('AUTH_FAILED');
    expect(steps.at(-1)).toMatchObject({ step: 'password-login', status: 'failed' });
    expect(await sshOk(nasA, 'sudopw', 'cat ~/.ssh/authorized_keys')).toBe(before);
  });

  it("a user without a home directory (TrueNAS's admin has /nonexistent): the install step says so with the fix; nothing is created", async () => {
    const user = 'zrdnohome';
    await sshOk(nasA, 'root', `userdel ${user} 2>/dev/null; useradd -M -d /nonexistent -s /bin/sh ${user} && echo '${user}:zrd-nohome' | chpasswd`);
    try {
      const connection = connectionTo(nasA, user, 'delegated', { kind: 'app-key' });
      await app.pin(connection);
      const steps: KeyExchangeStep[] = [];
      const failure = await app.services.installAppKey(connection, 'zrd-nohome', (s) => steps.push(s)).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(AppFailure);
      expect(failure).toMatchObject({ code: 'PERMISSION_DENIED', message: expect.stringContaining(`the home directory of ${user} (/nonexistent) does not exist or is read-only`) });
      expect((failure as AppFailure).appError.hint).toMatch(/Home Directory.*Authorized Keys/s);
      expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual(['password-login:running', 'password-login:done', 'install-key:running', 'install-key:failed']);
      expect((await sshOk(nasA, 'root', 'test -e /nonexistent && echo exists || echo absent')).trim()).toBe('absent');
    } finally {
      await sshOk(nasA, 'root', `userdel ${user} 2>/dev/null; true`);
    }
  });
});

describe('NAS <-> NAS trust', () => {
  it('nas-a can ssh to nas-b and back with keys, verified host keys; idempotent; removable', async () => {
    const a = connectionTo(nasA, 'admin', 'sudo');
    const b = connectionTo(nasB, 'admin', 'sudo');
    await app.pin(a);
    await app.pin(b);
    const steps: string[] = [];
    const authorizedBefore = await sshOk(nasB, 'admin', 'cat ~/.ssh/authorized_keys');
    const t0 = performance.now();
    // Inside the test bed nas-a reaches nas-b as nas-b:22 (not the 127.0.0.1:<port> the app uses), and back.
    const aToB = await app.services.establishNasToNasTrust(a, b, { host: 'nas-b', port: 22 }, (s) => steps.push(`${s.step}:${s.status}`));
    const bToA = await app.services.establishNasToNasTrust(b, a, { host: 'nas-a', port: 22 });
    report(`NAS<->NAS trust both ways: ${Math.round(performance.now() - t0)} ms (verify ssh a->b ${Math.round(aToB.verifyMs)} ms, b->a ${Math.round(bToA.verifyMs)} ms)`);
    expect(aToB).toMatchObject({ authorizedKeyAdded: true, knownHostAdded: true, destinationHostKey: { sha256: app.trust.get(b.id)!.sha256 } });
    expect(bToA).toMatchObject({ authorizedKeyAdded: true, knownHostAdded: true, destinationHostKey: { sha256: app.trust.get(a.id)!.sha256 } });
    expect(steps.filter((s) => s.endsWith(':done'))).toHaveLength(6);
    // nas-b sees nas-a's connections come from the slirp gateway (the test bed forwards them through the host).
    expect(aToB).toMatchObject({ sourceAddressSeen: '10.0.2.2', authorizedKeyOptions: 'restrict,from="10.0.2.2"' });
    const nasAKey = (await sshOk(nasA, 'admin', 'cat ~/.ssh/id_ed25519.pub')).trim().split(' ').slice(0, 2).join(' ');
    // The line on nas-b: restricted, only from nas-a's address, carrying our marker last; the admin's lines untouched.
    expect(await sshOk(nasB, 'admin', 'cat ~/.ssh/authorized_keys')).toBe(`${authorizedBefore}restrict,from="10.0.2.2" ${nasAKey} zrd-nas-trust:from=${a.id}\n`);

    const runnerA = app.services.runnerFor(a);
    const runnerB = app.services.runnerFor(b);
    expect((await runnerA.run([...nasToNasSshArgv('admin', { host: 'nas-b', port: 22 }), 'hostname'], { privileged: false })).stdout.trim()).toBe('nas-b');
    expect((await runnerB.run([...nasToNasSshArgv('admin', { host: 'nas-a', port: 22 }), 'hostname'], { privileged: false })).stdout.trim()).toBe('nas-a');
    // The remote side can run zfs through sudo, as a direct `zfs send | ssh nas-b sudo -n zfs receive` will.
    expect((await runnerA.run([...nasToNasSshArgv('admin', { host: 'nas-b', port: 22 }), 'sudo', '-n', 'zpool', 'list', '-H', '-o', 'name'], { privileged: false })).stdout.trim()).toBe('backup');

    // What `restrict` takes away, and replication never needs: a pty, port forwarding (-W is a direct-tcpip channel).
    const bAddress = { host: 'nas-b', port: 22 };
    // (With -tt, OpenSSH gives up with 255 when the pty is refused.)
    const pty = await runnerA.run([...nasToNasSshArgv('admin', bAddress, 20, ['-tt']), 'tty'], { privileged: false, expectedExitCodes: [0, 1, 255] });
    expect(pty.stderr).toContain('PTY allocation request failed');
    const forward = await runnerA.run(nasToNasSshArgv('admin', bAddress, 20, ['-W', '127.0.0.1:22']), { privileged: false, expectedExitCodes: [0, 255], timeoutMs: 60_000 });
    expect(forward.exitCode).toBe(255);
    expect(forward.stderr).toMatch(/administratively prohibited|forwarding failed|open failed/);
    // from=: nas-a's key used from anywhere else (here: on nas-b itself, through 127.0.0.1) is refused.
    await sshOk(nasB, 'root', `umask 077; cat > /root/zrd-copied-key <<'EOF'\n${(await sshOk(nasA, 'root', 'cat ~admin/.ssh/id_ed25519')).trim()}\nEOF`);
    const elsewhere = await sshOk(nasB, 'root', 'ssh -i /root/zrd-copied-key -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null admin@127.0.0.1 true 2>&1; echo "exit=$?"; rm -f /root/zrd-copied-key');
    expect(elsewhere).toContain('exit=255');
    expect(elsewhere).toContain('Permission denied');

    const again = await app.services.establishNasToNasTrust(a, b, { host: 'nas-b', port: 22 });
    expect(again).toMatchObject({ sourceKeyCreated: false, authorizedKeyAdded: false, knownHostAdded: false });

    const removed = await app.services.removeNasToNasTrust(a, b);
    expect(removed).toEqual({ authorizedKeysRemoved: 1, knownHostsRemoved: 1, sourceKeyRemoved: false });
    // Exactly our line went: the file is what it was before, byte for byte.
    expect(await sshOk(nasB, 'admin', 'cat ~/.ssh/authorized_keys')).toBe(authorizedBefore);
    // Without the known_hosts line, strict checking refuses nas-b: mapped from OpenSSH's own message.
    const refused = await runnerA.run([...nasToNasSshArgv('admin', { host: 'nas-b', port: 22 }), 'true'], { privileged: false }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'HOST_KEY_UNCONFIRMED' });
    expect((refused as AppFailure).appError.details).toMatchObject({ via: 'nas', host: 'nas-b', presented: null });
    report(`ssh a->b after removal: ${stderrOf(refused as AppFailure)}`);
    // The reverse direction is untouched.
    expect((await runnerB.run([...nasToNasSshArgv('admin', { host: 'nas-a', port: 22 }), 'true'], { privileged: false })).exitCode).toBe(0);
    expect(await app.services.removeNasToNasTrust(b, a, { removeGeneratedSourceKey: true })).toEqual({ authorizedKeysRemoved: 1, knownHostsRemoved: 1, sourceKeyRemoved: true });
    const leftOnA = await sshOk(nasA, 'admin', 'grep -c zrd-nas-trust ~/.ssh/authorized_keys ~/.ssh/known_hosts || true');
    expect(leftOnA).not.toMatch(/:[1-9]/);
    // Each nested ssh handshake under TCG costs seconds (more when other VMs share the cores).
  }, 400_000);
});
