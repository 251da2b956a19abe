import { AppFailure } from '../../../shared/result.ts';
import { sanitizeTerminalText } from '../../../shared/terminal-text.ts';

// ssh2 and node:net report connection trouble as Errors with a `code` (errno names, or an SSH disconnect
// reason number) and a `level` ("client-socket", "client-timeout", "client-authentication", "handshake", ...).
// This turns them into the app's typed failures, naming host:port so the admin knows which NAS it is.

export interface ConnectionErrorContext {
  /** e.g. "admin@nas-a:2222". */
  label: string;
  host: string;
  port: number;
  username: string;
  /** How we tried to log in, for the AUTH_FAILED hint. */
  authDescription?: string;
  connectTimeoutMs?: number;
}

interface SshLikeError extends Error {
  code?: string | number;
  level?: string;
}

const unreachableCodes: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused (nothing listens on that port, or a firewall rejects it)',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'there is no route to the host',
  ENETUNREACH: 'the network is unreachable',
  EHOSTDOWN: 'the host is down',
  ENOTFOUND: 'the host name could not be resolved',
  EAI_AGAIN: 'the host name could not be resolved (DNS temporarily failed)',
  ECONNRESET: 'the connection was reset by the other side',
  EPIPE: 'the connection was closed by the other side',
  ECONNABORTED: 'the connection was aborted',
};

export function mapConnectionError(error: unknown, context: ConnectionErrorContext): AppFailure {
  if (error instanceof AppFailure) return error;
  const raw: SshLikeError = error instanceof Error ? error : new Error(String(error));
  // An sshd's disconnect message or identification line can end up in err.message: printable text only.
  const err: SshLikeError = Object.assign(Object.create(raw) as SshLikeError, { message: sanitizeTerminalText(raw.message) });
  const endpoint = `${context.host}:${context.port}`;
  const code = typeof err.code === 'string' ? err.code : undefined;
  const details = { host: context.host, port: context.port, cause: err.message };

  if (code !== undefined && unreachableCodes[code]) {
    return new AppFailure(
      'HOST_UNREACHABLE',
      `Cannot reach ${endpoint}: ${unreachableCodes[code]}.`,
      code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'Check the host name, or use the NAS\'s IP address.'
        : `Check that the NAS is on, that ${endpoint} is its SSH address and port, and that sshd runs there.`,
      { ...details, errno: code },
    );
  }
  if (/Keepalive timeout/.test(err.message)) {
    // An established connection went silent (network down, NAS off or frozen): nothing about the port or the
    // connect timeout to fix; what was interrupted (a transfer) resumes on the next run.
    return new AppFailure(
      'HOST_UNREACHABLE',
      `The connection to ${endpoint} stopped answering (keepalive timeout).`,
      `Check the network to ${endpoint} and that the NAS is on, then try again (a replication task's next run resumes an interrupted transfer where it stopped).`,
      details,
    );
  }
  if (err.level === 'client-timeout' || /Timed out while waiting for handshake/.test(err.message)) {
    const seconds = context.connectTimeoutMs !== undefined ? ` within ${Math.round(context.connectTimeoutMs / 1000)} s` : '';
    return new AppFailure(
      'HOST_UNREACHABLE',
      `${endpoint} did not complete the SSH handshake${seconds}.`,
      `Check that ${endpoint} is the NAS's SSH port and that the NAS is not overloaded; raise the connect timeout in Settings for slow links.`,
      details,
    );
  }
  if (err.level === 'client-authentication' || /All configured authentication methods failed/.test(err.message)) {
    return new AppFailure(
      'AUTH_FAILED',
      `${context.label}: the NAS refused the login${context.authDescription ? ` (${context.authDescription})` : ''}.`,
      `Check the user name "${context.username}". For key login, install the key for that user (guided key setup); for a password, retype it.`,
      details,
    );
  }
  if (/Cannot parse privateKey|Encrypted private OpenSSH key|Bad passphrase|Malformed OpenSSH private key|no passphrase given/i.test(err.message)) {
    const needsPassphrase = /no passphrase given|Encrypted/i.test(err.message) && !/Bad passphrase/.test(err.message);
    return new AppFailure(
      'AUTH_FAILED',
      needsPassphrase
        ? `${context.label}: the private key is protected by a passphrase.`
        : `${context.label}: the private key could not be read (${err.message.replace(/^Cannot parse privateKey: /, '')}).`,
      needsPassphrase ? 'Enter the key\'s passphrase, or use ssh-agent.' : 'Check the key file and its passphrase; it must be an OpenSSH or PEM private key.',
      { ...details, reason: needsPassphrase ? 'KEY_PASSPHRASE_REQUIRED' : 'KEY_UNREADABLE' },
    );
  }
  if (/Connection lost before handshake|No response from server|Not connected/.test(err.message)) {
    return new AppFailure(
      'HOST_UNREACHABLE',
      `${endpoint} closed the connection before SSH started.`,
      `Something listens on ${endpoint} but it did not speak SSH (sshd still starting, or the wrong port).`,
      details,
    );
  }
  if (err.level === 'handshake' || err.level === 'protocol') {
    return new AppFailure(
      'HOST_UNREACHABLE',
      `The SSH handshake with ${endpoint} failed: ${err.message}.`,
      'The NAS\'s sshd and this app found no common algorithm, or the link broke. Check the NAS\'s sshd configuration.',
      details,
    );
  }
  return new AppFailure(
    'HOST_UNREACHABLE',
    `The connection to ${endpoint} failed: ${err.message}.`,
    `Check that ${endpoint} is reachable and runs sshd.`,
    details,
  );
}
