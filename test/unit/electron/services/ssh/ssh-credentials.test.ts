import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { appKeyPaths, checkPrivateKeyFile, defaultAgentSocket, ensureAppKey, resolveCredentials } from '../../../../../electron/services/ssh/ssh-credentials.ts';

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zrd-cred-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('app key', () => {
  it('is generated once as an OpenSSH ed25519 key, mode 0600, and reused', async () => {
    const configDir = temp();
    const first = await ensureAppKey(configDir);
    expect(first.created).toBe(true);
    expect(first.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ zfs-replication-desktop$/);
    const { privateKeyPath, publicKeyPath } = appKeyPaths(configDir);
    expect(statSync(privateKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(publicKeyPath).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(privateKeyPath)).mode & 0o777).toBe(0o700);
    expect(readFileSync(privateKeyPath, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect(readFileSync(publicKeyPath, 'utf8').trim()).toBe(first.publicKey);
    const again = await ensureAppKey(configDir);
    expect(again).toEqual({ ...first, created: false });
  });

  it('can be encrypted with a passphrase, which is then asked for', async () => {
    const configDir = temp();
    await ensureAppKey(configDir, { passphrase: 'correct horse' });
    const parsed = ssh2.utils.parseKey(readFileSync(appKeyPaths(configDir).privateKeyPath));
    expect(parsed).toBeInstanceOf(Error);
    await expect(resolveCredentials({ kind: 'app-key' }, { configDir })).rejects.toMatchObject({ code: 'AUTH_FAILED', appError: { details: { reason: 'KEY_PASSPHRASE_REQUIRED' } } });
    await expect(resolveCredentials({ kind: 'app-key' }, { configDir, getPassphrase: () => 'wrong' })).rejects.toMatchObject({ appError: { details: { reason: 'KEY_PASSPHRASE_WRONG' } } });
    const asked: string[] = [];
    const ok = await resolveCredentials({ kind: 'app-key' }, { configDir, getPassphrase: ({ keyPath }) => (asked.push(keyPath), 'correct horse') }, 'c1');
    expect(ok.passphrase).toBe('correct horse');
    expect(ok.description).toBe('the app key');
    expect(asked).toEqual([appKeyPaths(configDir).privateKeyPath]);
  });

  it('a missing app key points to the guided setup', async () => {
    await expect(resolveCredentials({ kind: 'app-key' }, { configDir: temp() })).rejects.toMatchObject({ code: 'AUTH_FAILED', appError: { details: { reason: 'APP_KEY_MISSING' } } });
  });
});

describe('key files', () => {
  it('refuses a group- or world-readable key with a chmod hint', async () => {
    const dir = temp();
    const keyPath = path.join(dir, 'id_ed25519');
    writeFileSync(keyPath, ssh2.utils.generateKeyPairSync('ed25519').private, { mode: 0o644 });
    chmodSync(keyPath, 0o644);
    const refused = checkPrivateKeyFile(keyPath, 'linux');
    await expect(refused).rejects.toMatchObject({ code: 'AUTH_FAILED', appError: { details: { reason: 'KEY_FILE_PERMISSIONS', mode: '644' } } });
    await expect(checkPrivateKeyFile(keyPath, 'linux')).rejects.toMatchObject({ appError: { hint: `Make it private first: chmod 600 ${keyPath}` } });
    chmodSync(keyPath, 0o600);
    await expect(checkPrivateKeyFile(keyPath, 'linux')).resolves.toBeUndefined();
    const creds = await resolveCredentials({ kind: 'key-file', keyPath }, { configDir: dir });
    expect(creds.privateKey?.toString()).toMatch(/OPENSSH PRIVATE KEY/);
    expect(creds.description).toBe(`key file ${keyPath}`);
  });

  it('a missing key file', async () => {
    await expect(resolveCredentials({ kind: 'key-file', keyPath: '/nonexistent/key' }, { configDir: temp() })).rejects.toMatchObject({ appError: { details: { reason: 'KEY_FILE_MISSING' } } });
  });
});

describe('ssh-agent', () => {
  it('uses SSH_AUTH_SOCK, the Windows pipe, or says there is none', async () => {
    expect(defaultAgentSocket({ SSH_AUTH_SOCK: '/run/agent.sock' }, 'linux')).toBe('/run/agent.sock');
    expect(defaultAgentSocket({}, 'win32')).toBe('\\\\.\\pipe\\openssh-ssh-agent');
    expect(defaultAgentSocket({}, 'linux')).toBeUndefined();
    await expect(resolveCredentials({ kind: 'agent' }, { configDir: '/x', env: { SSH_AUTH_SOCK: '/run/a' } })).resolves.toEqual({ agent: '/run/a', description: 'ssh-agent' });
    await expect(resolveCredentials({ kind: 'agent' }, { configDir: '/x', env: {}, platform: 'linux' })).rejects.toMatchObject({ appError: { details: { reason: 'AGENT_MISSING' } } });
  });
});
