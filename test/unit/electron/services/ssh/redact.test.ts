import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../../../../electron/services/ssh/redact.ts';

describe('redactSecrets', () => {
  it('blanks known secrets wherever they appear', () => {
    expect(redactSecrets('login with zrd-admin failed (zrd-admin)', ['zrd-admin'])).toBe('login with [redacted] failed ([redacted])');
    expect(redactSecrets('ab', ['ab'])).toBe('ab');
    expect(redactSecrets('x', [undefined])).toBe('x');
  });

  it('blanks private key blocks, even cut off', () => {
    const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    expect(redactSecrets(`key: ${key} done`)).toBe('key: -----PRIVATE KEY [redacted]----- done');
    expect(redactSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIE')).toBe('-----PRIVATE KEY [redacted]-----');
  });

  it('blanks password=... style pairs', () => {
    expect(redactSecrets('password=hunter2 user=bob')).toBe('password=[redacted] user=bob');
    expect(redactSecrets('Passphrase: "a b c" next')).toBe('Passphrase: [redacted] next');
  });
});
