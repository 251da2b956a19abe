import { describe, expect, it } from 'vitest';
import {
  InMemoryHostKeyTrust,
  decideHostKey,
  describeHostKey,
  hostKeyMismatchFailure,
  hostKeyType,
  hostKeyUnconfirmedFailure,
  parsePublicKeyLine,
  sha256Fingerprint,
} from '../../../../../electron/services/ssh/host-key.ts';

// Vectors made with ssh-keygen; the expected fingerprints are what `ssh-keygen -lf` printed for them.
const ed25519 = {
  line: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOM141D9wDPyu3MCUGw1O+tZfnjqh/Eb+Egi10/sR/N5 vec',
  sha256: 'SHA256:bcT1LxPUq8elRYR2PUWEJb2HN8xD+FC2IhLnxoEBfuo',
};
const ecdsa = {
  line: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBGfTcOWqtAtYs7vJbZ0eNWlEauFZOtEXOyJKZSAmSWH4qmoX1HVYfJLM3kzHJ0X1E5MHHiDkUvCFCuhOzVFU9SI= vec2',
  sha256: 'SHA256:pDiqNDhpf58FrkF2GCPe2jJB/qrcDGuyFX6lZOcbFFY',
};
const blobOf = (line: string) => Buffer.from(line.split(' ')[1]!, 'base64');

describe('host key fingerprints', () => {
  it('matches ssh-keygen -lf (SHA256, unpadded base64)', () => {
    expect(sha256Fingerprint(blobOf(ed25519.line))).toBe(ed25519.sha256);
    expect(sha256Fingerprint(blobOf(ecdsa.line))).toBe(ecdsa.sha256);
  });

  it('reads the key type from the blob', () => {
    expect(hostKeyType(blobOf(ed25519.line))).toBe('ssh-ed25519');
    expect(describeHostKey(blobOf(ecdsa.line))).toEqual({ type: 'ecdsa-sha2-nistp256', sha256: ecdsa.sha256 });
  });

  it('rejects blobs that are not SSH keys', () => {
    expect(() => hostKeyType(Buffer.alloc(2))).toThrow();
    expect(() => hostKeyType(Buffer.from([0, 0, 1, 0, 1, 2]))).toThrow();
    expect(() => hostKeyType(Buffer.from([0, 0, 0, 3, 0x20, 0x3b, 0x24]))).toThrow();
  });

  it('parses public key lines and refuses a type that disagrees with the blob', () => {
    expect(parsePublicKeyLine(ed25519.line)).toMatchObject({ type: 'ssh-ed25519', comment: 'vec', sha256: ed25519.sha256 });
    expect(parsePublicKeyLine(ed25519.line.replace('ssh-ed25519', 'ssh-rsa'))).toBeNull();
    expect(parsePublicKeyLine('garbage')).toBeNull();
    expect(parsePublicKeyLine('')).toBeNull();
  });
});

describe('host key decisions', () => {
  const presented = { type: 'ssh-ed25519', sha256: ed25519.sha256 };
  it('unpinned -> unconfirmed, same -> trusted, other -> mismatch', () => {
    expect(decideHostKey(null, presented)).toEqual({ kind: 'unconfirmed', presented });
    const pinned = { ...presented, pinnedAt: '2026-01-01T00:00:00.000Z' };
    expect(decideHostKey(pinned, presented)).toEqual({ kind: 'trusted' });
    const other = { type: 'ecdsa-sha2-nistp256', sha256: ecdsa.sha256 };
    expect(decideHostKey(pinned, other)).toEqual({ kind: 'mismatch', expected: pinned, presented: other });
  });

  it('failures carry the details the UI needs', () => {
    const subject = { host: 'nas-a', port: 22, connectionId: 'c-1' };
    const unconfirmed = hostKeyUnconfirmedFailure(subject, presented);
    expect(unconfirmed.code).toBe('HOST_KEY_UNCONFIRMED');
    expect(unconfirmed.appError.details).toEqual({ via: 'app', host: 'nas-a', port: 22, connectionId: 'c-1', presented: { type: 'ssh-ed25519', sha256: ed25519.sha256 } });
    expect(unconfirmed.message).toContain('nas-a:22');
    expect(unconfirmed.message).toContain(ed25519.sha256);
    const mismatch = hostKeyMismatchFailure(subject, presented, { type: 'ecdsa-sha2-nistp256', sha256: ecdsa.sha256 });
    expect(mismatch.code).toBe('HOST_KEY_MISMATCH');
    expect(mismatch.appError.details).toEqual({ via: 'app', host: 'nas-a', port: 22, connectionId: 'c-1', expected: presented, presented: { type: 'ecdsa-sha2-nistp256', sha256: ecdsa.sha256 } });
    expect(mismatch.message).toContain(ed25519.sha256);
    expect(mismatch.message).toContain(ecdsa.sha256);
    expect(mismatch.appError.hint).toMatch(/trust the new key/);
  });

  it('InMemoryHostKeyTrust pins with a timestamp and forgets', () => {
    const trust = new InMemoryHostKeyTrust({}, () => new Date('2026-02-03T04:05:06.000Z'));
    expect(trust.get('c1')).toBeNull();
    trust.pin('c1', presented);
    expect(trust.get('c1')).toEqual({ ...presented, pinnedAt: '2026-02-03T04:05:06.000Z' });
    trust.forget('c1');
    expect(trust.get('c1')).toBeNull();
  });
});

describe('hostKeyTrustFromStore', () => {
  it('reads and writes connection.hostKey through the store', async () => {
    const { hostKeyTrustFromStore } = await import('../../../../../electron/services/ssh/store-host-key-trust.ts');
    const pins: Array<[string, { type: string; sha256: string }]> = [];
    const store = {
      listConnections: () => [{ id: 'c1', hostKey: { type: 'ssh-ed25519', sha256: 'SHA256:x', pinnedAt: 't' } }, { id: 'c2', hostKey: null }],
      pinHostKey: (id: string, key: { type: string; sha256: string }) => void pins.push([id, key]),
    } as unknown as Parameters<typeof hostKeyTrustFromStore>[0];
    const trust = hostKeyTrustFromStore(store);
    expect(trust.get('c1')).toEqual({ type: 'ssh-ed25519', sha256: 'SHA256:x', pinnedAt: 't' });
    expect(trust.get('c2')).toBeNull();
    expect(trust.get('nope')).toBeNull();
    trust.pin('c2', { type: 'ssh-ed25519', sha256: 'SHA256:y' });
    expect(pins).toEqual([['c2', { type: 'ssh-ed25519', sha256: 'SHA256:y' }]]);
  });
});
