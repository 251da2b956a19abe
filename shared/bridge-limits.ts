import { fail, type Result } from './result.ts';

// Limits of the loopback bridge, shared by the server (which drops a connection that exceeds them) and the browser
// client (which refuses to send such a message and says why, so the user sees a clear error instead of a lost
// connection).

/** The largest WebSocket message either side accepts. No real request comes near it. */
export const bridgeMaxMessageBytes = 1024 * 1024;

/** The largest body POST /session accepts (a JSON object with one code). */
export const bridgeMaxSessionBodyBytes = 1024;

/** The HTTP path where a page trades a one-time code (from its address's fragment) for the session token. */
export const bridgeSessionPath = '/session';

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Whole KiB, rounded up, so a message just over the limit never reads as equal to it. */
function kibibytes(bytes: number): string {
  return `${Math.ceil(bytes / 1024).toLocaleString('en-US')} KiB`;
}

/** A failed Result when a message is too large to send over the bridge, else null. */
export function oversizedMessage(serialized: string): Result<never> | null {
  // A UTF-8 character takes at most 3 bytes per UTF-16 unit: most messages skip the encoding.
  if (serialized.length * 3 <= bridgeMaxMessageBytes) return null;
  const bytes = utf8Length(serialized);
  if (bytes <= bridgeMaxMessageBytes) return null;
  return fail(
    'INVALID_REQUEST',
    `This request is too large to send (${kibibytes(bytes)}; the limit is ${kibibytes(bridgeMaxMessageBytes)}).`,
    'A field holds far more text than it can use (a large paste?): shorten it and try again.',
  );
}
