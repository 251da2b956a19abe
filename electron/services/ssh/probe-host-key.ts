import ssh2 from 'ssh2';
import { AppFailure } from '../../../shared/result.ts';
import { mapConnectionError } from './connection-errors.ts';
import { describeHostKey, type HostKeyInfo } from './host-key.ts';
import { defaultConnectTimeoutMs } from './ssh-connect.ts';

export interface ProbedHostKey extends HostKeyInfo {
  host: string;
  port: number;
  /** The server's identification, e.g. "OpenSSH_9.2p1". */
  serverSoftware: string | undefined;
  handshakeMs: number;
}

/**
 * Fetches a server's host key for the confirm dialog, and nothing else: the key exchange runs to its end
 * (so the server has proven it holds the private key), then we disconnect without authenticating.
 */
export function probeHostKey(host: string, port: number, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ProbedHostKey> {
  const timeoutMs = options.timeoutMs ?? defaultConnectTimeoutMs;
  const context = { label: `${host}:${port}`, host, port, username: '(none)', connectTimeoutMs: timeoutMs };
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const started = performance.now();
    let key: HostKeyInfo | undefined;
    let software: string | undefined;
    let settled = false;
    const done = (error: unknown, value?: ProbedHostKey) => {
      if (settled) return;
      settled = true;
      clearTimeout(overall);
      options.signal?.removeEventListener('abort', onAbort);
      client.removeAllListeners('error');
      client.on('error', () => {});
      client.end();
      client.destroy();
      if (value) resolve(value);
      else reject(error instanceof AppFailure ? error : mapConnectionError(error, context));
    };
    const onAbort = () => done(new AppFailure('CANCELLED', `Fetching the host key of ${host}:${port} was cancelled.`));
    const overall = setTimeout(() => done(Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' })), timeoutMs + 1000);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    client.on('greeting', () => {});
    client.on('handshake', () => {
      // The key exchange, including the server's signature over it, is complete.
      if (!key) return done(new Error('The server presented no host key.'));
      done(null, { ...key, host, port, serverSoftware: software, handshakeMs: performance.now() - started });
    });
    client.on('error', (error) => done(error));
    client.on('close', () => done(new Error('Connection lost before handshake')));
    try {
      client.connect({
        host,
        port,
        username: 'zfs-replication-desktop-probe',
        readyTimeout: timeoutMs,
        hostVerifier: (blob: Buffer) => {
          try {
            key = describeHostKey(blob);
            return true;
          } catch {
            return false;
          }
        },
        debug: (line: string) => {
          const match = /Remote ident: '([^']*)'/.exec(line);
          if (match) software = match[1]?.replace(/^SSH-2\.0-/, '');
        },
      });
    } catch (error) {
      done(error);
    }
  });
}
