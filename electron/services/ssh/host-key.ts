import { createHash } from 'node:crypto';
import { AppFailure } from '../../../shared/result.ts';

// Host keys as OpenSSH shows them: the key type is the first string of the public key blob, the fingerprint
// is "SHA256:" + unpadded base64 of sha256(blob), the same text `ssh-keygen -lf` and ssh's first-contact
// prompt print, so an admin can compare it with what the NAS console shows.

export interface HostKeyInfo {
  /** e.g. "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa". */
  type: string;
  /** e.g. "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s". */
  sha256: string;
}

/** A host key as pinned for one connection (shared/schemas.ts PinnedHostKeySchema). */
export interface PinnedHostKey extends HostKeyInfo {
  pinnedAt: string;
}

/** Where confirmed host keys live: the app backs it with the AppStore's `connection.hostKey`. */
export interface HostKeyTrust {
  get(connectionId: string): PinnedHostKey | null | Promise<PinnedHostKey | null>;
  pin(connectionId: string, key: HostKeyInfo): void | Promise<void>;
}

/** For tests and for throwaway sessions. */
export class InMemoryHostKeyTrust implements HostKeyTrust {
  readonly #pins = new Map<string, PinnedHostKey>();
  readonly #now: () => Date;
  constructor(initial: Record<string, HostKeyInfo> = {}, now: () => Date = () => new Date()) {
    this.#now = now;
    for (const [id, key] of Object.entries(initial)) this.pin(id, key);
  }
  get(connectionId: string): PinnedHostKey | null {
    return this.#pins.get(connectionId) ?? null;
  }
  pin(connectionId: string, key: HostKeyInfo): void {
    this.#pins.set(connectionId, { type: key.type, sha256: key.sha256, pinnedAt: this.#now().toISOString() });
  }
  forget(connectionId: string): void {
    this.#pins.delete(connectionId);
  }
}

/** Reads the key type, the first length-prefixed string of an SSH public key blob. */
export function hostKeyType(blob: Buffer): string {
  if (blob.length < 4) throw new TypeError('Not an SSH public key: too short.');
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) throw new TypeError('Not an SSH public key: bad type field.');
  const type = blob.subarray(4, 4 + length).toString('latin1');
  if (!/^[a-z0-9@.-]+$/i.test(type)) throw new TypeError('Not an SSH public key: bad type name.');
  return type;
}

export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function describeHostKey(blob: Buffer): HostKeyInfo {
  return { type: hostKeyType(blob), sha256: sha256Fingerprint(blob) };
}

/** One line of an OpenSSH public key file ("type base64 [comment]"), as found in /etc/ssh/ssh_host_*_key.pub. */
export interface PublicKeyLine extends HostKeyInfo {
  base64: string;
  comment: string;
}

export function parsePublicKeyLine(line: string): PublicKeyLine | null {
  const match = /^\s*(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*))?$/.exec(line);
  if (!match) return null;
  const [, type = '', base64 = '', comment = ''] = match;
  const blob = Buffer.from(base64, 'base64');
  try {
    if (hostKeyType(blob) !== type) return null;
  } catch {
    return null;
  }
  return { type, base64, comment: comment.trim(), sha256: sha256Fingerprint(blob) };
}

export type HostKeyDecision = { kind: 'trusted' } | { kind: 'unconfirmed'; presented: HostKeyInfo } | { kind: 'mismatch'; expected: PinnedHostKey; presented: HostKeyInfo };

export function decideHostKey(pinned: PinnedHostKey | null, presented: HostKeyInfo): HostKeyDecision {
  if (pinned === null) return { kind: 'unconfirmed', presented };
  if (pinned.sha256 === presented.sha256) return { kind: 'trusted' };
  return { kind: 'mismatch', expected: pinned, presented };
}

/** Which NAS a host-key failure is about: the saved connection the fingerprint dialog confirms it for. */
export interface HostKeySubject {
  host: string;
  /** null when only the host is known (e.g. the key exchange read the keys through a login). */
  port: number | null;
  connectionId: string | null;
  /** How messages name it, e.g. "nas-a:22" or "admin@nas-a:22". */
  label?: string;
}

const keyOf = (key: HostKeyInfo): HostKeyInfo => ({ type: key.type, sha256: key.sha256 });
const labelOf = (subject: HostKeySubject) => subject.label ?? (subject.port === null ? subject.host : `${subject.host}:${subject.port}`);

export function hostKeyUnconfirmedFailure(subject: HostKeySubject, presented: HostKeyInfo): AppFailure {
  return new AppFailure(
    'HOST_KEY_UNCONFIRMED',
    `${labelOf(subject)} is not trusted yet: its host key is ${presented.type} ${presented.sha256}.`,
    'Compare this fingerprint with the one the NAS shows (on the NAS console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and confirm it to connect.',
    { via: 'app', host: subject.host, port: subject.port, connectionId: subject.connectionId, presented: keyOf(presented) },
  );
}

export function hostKeyMismatchFailure(
  subject: HostKeySubject,
  expected: HostKeyInfo,
  presented: HostKeyInfo,
  options: { found?: readonly HostKeyInfo[]; message?: string } = {},
): AppFailure {
  const { found } = options;
  return new AppFailure(
    'HOST_KEY_MISMATCH',
    options.message ??
      `The host key of ${labelOf(subject)} has changed: expected ${expected.type} ${expected.sha256}, the server presented ${presented.type} ${presented.sha256}. The connection was blocked.`,
    'This happens after a NAS reinstall or an sshd key regeneration, but it is also what a man-in-the-middle attack looks like. ' +
      'Check the new fingerprint on the NAS console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); if it matches, trust the new key for this connection.',
    {
      via: 'app',
      host: subject.host,
      port: subject.port,
      connectionId: subject.connectionId,
      expected: keyOf(expected),
      presented: keyOf(presented),
      ...(found ? { found: found.map(keyOf) } : {}),
    },
  );
}
