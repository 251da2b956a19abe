import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryHostKeyTrust, parsePublicKeyLine } from '../../../../../electron/services/ssh/host-key.ts';
import {
  authorizedKeyMarker,
  clientAddressOf,
  establishNasToNasTrust,
  generatedKeyComment,
  installAuthorizedKey,
  knownHostMarker,
  knownHostsPattern,
  nasToNasSshArgv,
  removeNasToNasTrust,
  type KeyExchangeStep,
  type NasSide,
} from '../../../../../electron/services/ssh/key-exchange.ts';
import type { CommandRunner, RunOptions } from '../../../../../electron/services/ssh/command-runner.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { keepalivePolicy } from '../../../../../electron/services/ssh/ssh-connect.ts';
import { LocalShellRunner } from './local-shell-runner.ts';

// The remote ~/.ssh editing programs, run for real by /bin/sh in throwaway HOME folders.

const keyA = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOM141D9wDPyu3MCUGw1O+tZfnjqh/Eb+Egi10/sR/N5 app@laptop';
const hostKeyLine = 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGfTcOWqtAtYs7vJbZ0eNWlEauFZOtEXOyJKZSAmSWH4qmoX1HVYfJLM3kzHJ0X1E5MHHiDkUvCFCuhOzVFU9SI= root@nas-b';

let dirs: string[] = [];
const tempHome = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zrd-home-'));
  dirs.push(dir);
  return dir;
};
beforeEach(() => {
  dirs = [];
});
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

describe('installAuthorizedKey', () => {
  it('creates ~/.ssh 0700 and authorized_keys 0600, then is idempotent', async () => {
    const home = tempHome();
    const runner = new LocalShellRunner('nas', home);
    expect(await installAuthorizedKey(runner, keyA)).toBe('added');
    const file = path.join(home, '.ssh', 'authorized_keys');
    expect(readFileSync(file, 'utf8')).toBe(`${keyA}\n`);
    expect(mode(path.join(home, '.ssh'))).toBe('700');
    expect(mode(file)).toBe('600');
    expect(await installAuthorizedKey(runner, keyA)).toBe('present');
    // Same key material under another comment or with options: still present, not duplicated.
    expect(await installAuthorizedKey(runner, keyA.replace('app@laptop', 'other'))).toBe('present');
    expect(readFileSync(file, 'utf8')).toBe(`${keyA}\n`);
    // The key went over stdin, never as an argument.
    expect(runner.commands.flat().join(' ')).not.toContain('AAAAC3Nza');
  });

  it('appends after a last line without newline and keeps existing lines', async () => {
    const home = tempHome();
    mkdirSync(path.join(home, '.ssh'), { mode: 0o755 });
    const file = path.join(home, '.ssh', 'authorized_keys');
    writeFileSync(file, `# admin's keys\nrestrict ${hostKeyLine}`, { mode: 0o644 });
    expect(await installAuthorizedKey(new LocalShellRunner('nas', home), keyA)).toBe('added');
    expect(readFileSync(file, 'utf8')).toBe(`# admin's keys\nrestrict ${hostKeyLine}\n${keyA}\n`);
    expect(mode(path.join(home, '.ssh'))).toBe('755');
  });

  it('refuses something that is not a public key line before running anything', async () => {
    const runner = new LocalShellRunner('nas', tempHome());
    await expect(installAuthorizedKey(runner, 'ssh-ed25519 AAAA\nssh-rsa BBBB')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(installAuthorizedKey(runner, '-----BEGIN OPENSSH PRIVATE KEY-----')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(runner.commands).toHaveLength(0);
  });
});

describe('known_hosts spelling', () => {
  it('uses [host]:port except for port 22', () => {
    expect(knownHostsPattern('nas-b', 22)).toBe('nas-b');
    expect(knownHostsPattern('10.0.0.2', 2222)).toBe('[10.0.0.2]:2222');
    expect(() => knownHostsPattern('-oProxyCommand=x', 22)).toThrow();
    expect(nasToNasSshArgv('admin', { host: 'nas-b', port: 22 })).toEqual([
      'ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', 'UpdateHostKeys=no', '-o', 'ConnectTimeout=20',
      '-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3',
      '-o', 'Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr', '-p', '22', '-l', 'admin', 'nas-b',
    ]);
  });
});

describe('dead-link keepalives', () => {
  it('are 15 s × 3 by default; ZRD_SSH_KEEPALIVE_SECONDS sets the interval of the NAS-to-NAS ssh too; a bad value is a clear error', () => {
    expect(keepalivePolicy({})).toEqual({ intervalSeconds: 15, countMax: 3 });
    expect(keepalivePolicy({ ZRD_SSH_KEEPALIVE_SECONDS: '5' })).toEqual({ intervalSeconds: 5, countMax: 3 });
    for (const bad of ['0', '301', '2.5', 'ten', '-1']) {
      expect(() => keepalivePolicy({ ZRD_SSH_KEEPALIVE_SECONDS: bad })).toThrow(/ZRD_SSH_KEEPALIVE_SECONDS is ".*": it must be a whole number of seconds from 1 to 300/);
    }
    vi.stubEnv('ZRD_SSH_KEEPALIVE_SECONDS', '4');
    try {
      expect(nasToNasSshArgv('admin', { host: 'nas-b', port: 22 })).toContain('ServerAliveInterval=4');
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

/**
 * Wraps a local runner: pretends ssh-keygen and the `ssh ...` logins work like on a NAS; the destination's sshd
 * sees the source connect from `seenFrom` ($SSH_CONNECTION), and a login fails when `sshFails` says so.
 */
class NasStandIn implements CommandRunner {
  readonly inner: LocalShellRunner;
  readonly label: string;
  sshRuns: string[][] = [];
  seenFrom: string | null = '10.0.2.2';
  sshFails: (argv: readonly string[]) => boolean = () => false;
  constructor(label: string, home: string) {
    this.inner = new LocalShellRunner(label, home);
    this.label = label;
  }
  run(argv: readonly string[], options?: RunOptions) {
    if (argv[0] === 'ssh') {
      this.sshRuns.push([...argv]);
      if (this.sshFails(argv)) return Promise.reject(new AppFailure('AUTH_FAILED', `${this.label}: ssh on the NAS could not log in to the other NAS.`));
      const printenv = argv.at(-2) === 'printenv' && argv.at(-1) === 'SSH_CONNECTION';
      return Promise.resolve({ exitCode: printenv && this.seenFrom === null ? 1 : 0, stdout: printenv && this.seenFrom ? `${this.seenFrom} 51234 10.0.2.15 22\n` : '', stderr: '' });
    }
    if (argv[0] === 'sh' && argv[2]?.includes('/etc/ssh/ssh_host_')) {
      return Promise.resolve({ exitCode: 0, stdout: `${hostKeyLine}\n`, stderr: '' });
    }
    return this.inner.run(argv, options);
  }
}

describe('NAS-to-NAS trust', () => {
  const pinnedHostKey = parsePublicKeyLine(hostKeyLine)!;

  function sides() {
    const sourceHome = tempHome();
    const destinationHome = tempHome();
    const source: NasSide = { runner: new NasStandIn('admin@nas-a:22', sourceHome), connectionId: 'src-1', username: 'admin' };
    const destination: NasSide = { runner: new NasStandIn('admin@nas-b:22', destinationHome), connectionId: 'dst-1', username: 'admin' };
    return { source, destination, sourceHome, destinationHome };
  }

  it('generates the source key, authorizes it, records the pinned host key, verifies; idempotent and reversible', async () => {
    const { source, destination, sourceHome, destinationHome } = sides();
    const trust = new InMemoryHostKeyTrust({ 'dst-1': pinnedHostKey });
    const steps: KeyExchangeStep[] = [];
    const first = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust, onStep: (s) => steps.push(s) });
    expect(first).toMatchObject({ sourceKeyCreated: true, authorizedKeyAdded: true, knownHostAdded: true, destinationHostKey: { sha256: pinnedHostKey.sha256 } });
    expect(steps.map((s) => `${s.step}:${s.status}`)).toEqual([
      'source-key:running', 'source-key:done',
      'authorize-on-destination:running', 'authorize-on-destination:done',
      'destination-host-key:running', 'destination-host-key:done',
      'record-known-host:running', 'record-known-host:done',
      'verify-ssh:running', 'verify-ssh:done',
      'restrict-to-source:running', 'restrict-to-source:done',
    ]);
    expect(first).toMatchObject({ sourceAddressSeen: '10.0.2.2', authorizedKeyOptions: 'restrict,from="10.0.2.2"' });
    const sourcePub = readFileSync(path.join(sourceHome, '.ssh', 'id_ed25519.pub'), 'utf8').trim();
    expect(sourcePub.endsWith(generatedKeyComment)).toBe(true);
    expect(mode(path.join(sourceHome, '.ssh', 'id_ed25519'))).toBe('600');
    const authorized = readFileSync(path.join(destinationHome, '.ssh', 'authorized_keys'), 'utf8');
    expect(authorized).toBe(`restrict,from="10.0.2.2" ${sourcePub.split(' ').slice(0, 2).join(' ')} ${authorizedKeyMarker('src-1')}\n`);
    expect(mode(path.join(destinationHome, '.ssh', 'authorized_keys'))).toBe('600');
    const knownHosts = readFileSync(path.join(sourceHome, '.ssh', 'known_hosts'), 'utf8');
    expect(knownHosts).toBe(`nas-b ${pinnedHostKey.type} ${pinnedHostKey.base64} ${knownHostMarker('dst-1')}\n`);
    // Learn the address, then prove the tightened line still lets the source in.
    const ssh = nasToNasSshArgv('admin', { host: 'nas-b', port: 22 });
    expect((source.runner as NasStandIn).sshRuns).toEqual([[...ssh, 'printenv', 'SSH_CONNECTION'], [...ssh, 'true']]);

    const second = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    expect(second).toMatchObject({ sourceKeyCreated: false, authorizedKeyAdded: false, knownHostAdded: false, authorizedKeyOptions: 'restrict,from="10.0.2.2"' });
    // Nothing changed, so no second proof login either.
    expect((source.runner as NasStandIn).sshRuns).toHaveLength(3);
    expect(readFileSync(path.join(destinationHome, '.ssh', 'authorized_keys'), 'utf8')).toBe(authorized);
    expect(readFileSync(path.join(sourceHome, '.ssh', 'known_hosts'), 'utf8')).toBe(knownHosts);

    // Lines the admin had are kept by the removal, byte for byte.
    writeFileSync(path.join(destinationHome, '.ssh', 'authorized_keys'), `${keyA}\n${authorized}# end\n`);
    const removed = await removeNasToNasTrust({ source, destination });
    expect(removed).toEqual({ authorizedKeysRemoved: 1, knownHostsRemoved: 1, sourceKeyRemoved: false });
    expect(readFileSync(path.join(destinationHome, '.ssh', 'authorized_keys'), 'utf8')).toBe(`${keyA}\n# end\n`);
    expect(mode(path.join(destinationHome, '.ssh', 'authorized_keys'))).toBe('600');
    expect(readFileSync(path.join(sourceHome, '.ssh', 'known_hosts'), 'utf8')).toBe('');
    expect(existsSync(path.join(sourceHome, '.ssh', 'id_ed25519'))).toBe(true);
    expect(await removeNasToNasTrust({ source, destination, removeGeneratedSourceKey: true })).toEqual({ authorizedKeysRemoved: 0, knownHostsRemoved: 0, sourceKeyRemoved: true });
    expect(existsSync(path.join(sourceHome, '.ssh', 'id_ed25519'))).toBe(false);
    // About twenty real /bin/sh runs and an ssh-keygen: seconds on a loaded machine.
  }, 60_000);

  it('tightens an unrestricted line left by an older version; leaves the admin\'s own line alone; no from= when the address is unknown', async () => {
    const { source, destination, destinationHome } = sides();
    const trust = new InMemoryHostKeyTrust({ 'dst-1': pinnedHostKey });
    await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    const file = path.join(destinationHome, '.ssh', 'authorized_keys');
    const ours = readFileSync(file, 'utf8').trim();
    const bare = ours.replace(/^restrict,from="10\.0\.2\.2" /, '');
    // An older version wrote the line without options: the next exchange tightens it in place.
    writeFileSync(file, `${keyA}\n${bare}\n# end\n`);
    const upgraded = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    expect(upgraded).toMatchObject({ authorizedKeyAdded: false, authorizedKeyOptions: 'restrict,from="10.0.2.2"' });
    expect(readFileSync(file, 'utf8')).toBe(`${keyA}\n# end\n${ours}\n`);

    // The source now shows up from another address (e.g. after a network change): the line follows.
    (source.runner as NasStandIn).seenFrom = '192.168.7.20';
    await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    expect(readFileSync(file, 'utf8')).toBe(`${keyA}\n# end\n${ours.replace('10.0.2.2', '192.168.7.20')}\n`);

    // No visible address: restricted without from=.
    (source.runner as NasStandIn).seenFrom = null;
    const unknown = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    expect(unknown).toMatchObject({ sourceAddressSeen: null, authorizedKeyOptions: 'restrict' });
    expect(readFileSync(file, 'utf8')).toBe(`${keyA}\n# end\nrestrict ${bare}\n`);

    // A login limited to the address fails (a NAT that changes the source port's address...): back to restrict alone.
    (source.runner as NasStandIn).seenFrom = '10.0.2.2';
    (source.runner as NasStandIn).sshFails = (argv) => argv.at(-1) === 'true';
    const fallback = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    expect(fallback.authorizedKeyOptions).toBe('restrict');
    expect(readFileSync(file, 'utf8')).toBe(`${keyA}\n# end\nrestrict ${bare}\n`);
    (source.runner as NasStandIn).sshFails = () => false;

    // The admin authorized the same key in a line of their own: it is left exactly as written, and not removed.
    const admins = `command="/usr/local/bin/only-zfs" ${bare.replace(/ \S+$/, ' admin-wrote-this')}`;
    writeFileSync(file, `${admins}\n`);
    const foreign = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust });
    expect(foreign).toMatchObject({ authorizedKeyAdded: false, authorizedKeyOptions: null });
    expect(readFileSync(file, 'utf8')).toBe(`${admins}\n`);
    expect((await removeNasToNasTrust({ source, destination })).authorizedKeysRemoved).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`${admins}\n`);
    // Five exchanges of real /bin/sh runs: seconds on a loaded machine.
  }, 60_000);

  it('reads the client address from $SSH_CONNECTION, IPv4 or IPv6, nothing else', () => {
    expect(clientAddressOf('10.0.2.2 51234 10.0.2.15 22\n')).toBe('10.0.2.2');
    expect(clientAddressOf('fe80::5054:ff:fe12:3456 40022 fe80::1 22')).toBe('fe80::5054:ff:fe12:3456');
    expect(clientAddressOf('motd line\n192.168.1.5 1 192.168.1.6 22\n')).toBe('192.168.1.5');
    expect(clientAddressOf('')).toBeNull();
    expect(clientAddressOf('nas-a" 1 x 22')).toBeNull();
    expect(clientAddressOf('999.1.1.1 1 x 22')).toBeNull();
  });

  it('keeps an existing source key and never deletes it', async () => {
    const { source, destination, sourceHome } = sides();
    mkdirSync(path.join(sourceHome, '.ssh'), { mode: 0o700 });
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'admin-own', '-f', path.join(sourceHome, '.ssh', 'id_ed25519')]);
    const trust = new InMemoryHostKeyTrust({ 'dst-1': pinnedHostKey });
    const result = await establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 2222 }, trust });
    expect(result.sourceKeyCreated).toBe(false);
    expect(readFileSync(path.join(sourceHome, '.ssh', 'known_hosts'), 'utf8')).toMatch(/^\[nas-b\]:2222 /);
    expect((await removeNasToNasTrust({ source, destination, removeGeneratedSourceKey: true })).sourceKeyRemoved).toBe(false);
    expect(existsSync(path.join(sourceHome, '.ssh', 'id_ed25519'))).toBe(true);
  });

  it('refuses a passphrase-protected source key (ssh could not use it unattended)', async () => {
    const { source, destination, sourceHome } = sides();
    mkdirSync(path.join(sourceHome, '.ssh'), { mode: 0o700 });
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret-pass', '-f', path.join(sourceHome, '.ssh', 'id_ed25519')]);
    const steps: KeyExchangeStep[] = [];
    const trust = new InMemoryHostKeyTrust({ 'dst-1': pinnedHostKey });
    await expect(establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust, onStep: (s) => steps.push(s) })).rejects.toMatchObject({
      code: 'REMOTE_COMMAND_FAILED',
    });
    expect(steps.at(-1)).toMatchObject({ step: 'source-key', status: 'failed' });
    expect(steps.at(-1)?.detail).toMatch(/passphrase/);
  });

  it('refuses to record a destination host key that does not match the pin', async () => {
    const { source, destination, sourceHome } = sides();
    const trust = new InMemoryHostKeyTrust({ 'dst-1': { type: 'ssh-ed25519', sha256: 'SHA256:somethingElse' } });
    await expect(establishNasToNasTrust({ source, destination, destinationAddress: { host: 'nas-b', port: 22 }, trust })).rejects.toMatchObject({ code: 'HOST_KEY_MISMATCH' });
    expect(existsSync(path.join(sourceHome, '.ssh', 'known_hosts'))).toBe(false);
  });
});
