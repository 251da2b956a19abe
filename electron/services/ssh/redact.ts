// Anything that reaches a log or an error message passes through here first. Passwords and passphrases are
// known values (the caller registers them); private keys and "password=..." style pairs are found by shape.

const privateKeyBlock = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;
const secretAssignment = /\b((?:password|passwd|passphrase|secret|token|keylocation=raw)[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi;

export const redactedMarker = '[redacted]';

export function redactSecrets(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  let out = text.replace(privateKeyBlock, `-----PRIVATE KEY ${redactedMarker}-----`).replace(secretAssignment, `$1${redactedMarker}`);
  for (const secret of knownSecrets) {
    // Very short values would blank out ordinary words; they are not worth hiding from a log anyway.
    if (secret !== undefined && secret.length >= 3) out = out.split(secret).join(redactedMarker);
  }
  return out;
}
