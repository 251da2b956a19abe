import { describe, expect, it } from 'vitest';
import { mapConnectionError } from '../../../../../electron/services/ssh/connection-errors.ts';
import { AppFailure } from '../../../../../shared/result.ts';

const context = { label: 'admin@nas-a:2222', host: 'nas-a', port: 2222, username: 'admin', authDescription: 'the app key', connectTimeoutMs: 20_000 };
const errno = (code: string, message: string) => Object.assign(new Error(message), { code, level: 'client-socket' });

describe('mapConnectionError', () => {
  it('refused / timed out / no route / unknown host are HOST_UNREACHABLE naming host:port', () => {
    for (const [code, words] of [
      ['ECONNREFUSED', 'refused'],
      ['ETIMEDOUT', 'timed out'],
      ['EHOSTUNREACH', 'no route'],
      ['ENOTFOUND', 'could not be resolved'],
    ] as const) {
      const failure = mapConnectionError(errno(code, `connect ${code} 10.0.0.1:2222`), context);
      expect(failure.code).toBe('HOST_UNREACHABLE');
      expect(failure.message).toContain('nas-a:2222');
      expect(failure.message).toContain(words);
      expect(failure.appError.details).toMatchObject({ host: 'nas-a', port: 2222, errno: code });
    }
  });

  it("ssh2's handshake timeout and keepalive timeout", () => {
    const handshake = mapConnectionError(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }), context);
    expect(handshake.code).toBe('HOST_UNREACHABLE');
    expect(handshake.message).toMatch(/nas-a:2222 did not complete the SSH handshake within 20 s/);
    const silent = mapConnectionError(Object.assign(new Error('Keepalive timeout'), { level: 'client-timeout' }), context);
    expect(silent.message).toMatch(/stopped answering/);
    // Mid-transfer: the fix is the network, and the next run resumes (not the connect timeout or the port).
    expect(silent.appError.hint).toMatch(/network.*resumes/);
  });

  it('refused login is AUTH_FAILED naming the user and the method, never a secret', () => {
    const failure = mapConnectionError(Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }), context);
    expect(failure.code).toBe('AUTH_FAILED');
    expect(failure.message).toContain('admin@nas-a:2222');
    expect(failure.message).toContain('the app key');
    expect(failure.appError.hint).toContain('"admin"');
  });

  it('encrypted key without passphrase, and a bad passphrase', () => {
    const need = mapConnectionError(new Error('Cannot parse privateKey: Encrypted private OpenSSH key detected, but no passphrase given'), context);
    expect(need).toMatchObject({ code: 'AUTH_FAILED', appError: { details: { reason: 'KEY_PASSPHRASE_REQUIRED' } } });
    const bad = mapConnectionError(new Error('Cannot parse privateKey: Bad passphrase'), context);
    expect(bad).toMatchObject({ code: 'AUTH_FAILED', appError: { details: { reason: 'KEY_UNREADABLE' } } });
  });

  it('a port that is open but is not sshd', () => {
    expect(mapConnectionError(new Error('Connection lost before handshake'), context)).toMatchObject({ code: 'HOST_UNREACHABLE', message: expect.stringContaining('before SSH started') });
  });

  it('passes AppFailures through untouched', () => {
    const original = new AppFailure('BUSY', 'busy');
    expect(mapConnectionError(original, context)).toBe(original);
  });
});
