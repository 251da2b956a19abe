// Host-key wording shared by the fleet's panels and dialogs.

export interface KeyInfo {
  type: string;
  sha256: string;
}

/** The command that prints a host key's fingerprint on the NAS console (same rule as the pre-flight's). */
export function fingerprintCommand(type: string): string {
  const file = type === 'ssh-ed25519' ? 'ed25519' : type.startsWith('ecdsa-') ? 'ecdsa' : type === 'ssh-rsa' || type.startsWith('rsa-') ? 'rsa' : 'ed25519';
  return `ssh-keygen -lf /etc/ssh/ssh_host_${file}_key.pub`;
}

/** Reads a {type, sha256} out of error details (HOST_KEY_* errors carry them in one of a few shapes). */
export function keyInfoOf(value: unknown): KeyInfo | null {
  if (typeof value !== 'object' || value === null) return null;
  const { type, sha256 } = value as { type?: unknown; sha256?: unknown };
  return typeof sha256 === 'string' ? { type: typeof type === 'string' ? type : 'unknown', sha256 } : null;
}
