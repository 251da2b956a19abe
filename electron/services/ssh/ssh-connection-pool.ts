import type { ClientChannel } from 'ssh2';
import { AppFailure } from '../../../shared/result.ts';
import type { HostKeyInfo } from './host-key.ts';
import { targetLabel, type CipherPreference, type SshEndpoint } from './ssh-connect.ts';

// One authenticated connection per saved NAS, shared by every command as separate channels (an ssh
// handshake costs 1-2 s on a slow NAS; a channel costs one round trip). Channels per connection are capped
// (sshd's MaxSessions defaults to 10; we use 8), excess callers wait in a FIFO queue. A connection that
// dropped is reopened on next use, with backoff when reopening fails; auth and host-key failures are never
// retried (retrying cannot fix them and may lock the account).

/** The part of an ssh2 Client the pool and runner use; unit tests pass a fake. */
export interface ExecClient {
  exec(command: string, callback: (err: Error | undefined, channel: ClientChannel) => void): unknown;
  end(): unknown;
  on(event: 'close' | 'end', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface PoolSession {
  client: ExecClient;
  hostKey: HostKeyInfo;
  handshakeMs: number;
  cipher?: string | undefined;
}

/** What the pool needs to (re)open a NAS's connection. Changing any field retires the old connection. */
export interface PoolTarget extends SshEndpoint {
  /** Opaque key of the auth settings (e.g. JSON of connection.auth); a change forces a new login. */
  authKey: string;
  cipherPreference?: CipherPreference;
  /** Channels open at once on this connection; default the pool's maxSessions. */
  maxSessions?: number;
}

export type PoolConnector = (target: PoolTarget, signal: AbortSignal | undefined) => Promise<PoolSession>;

export interface PoolLogEntry {
  level: 'debug' | 'info' | 'warn';
  connectionId: string;
  message: string;
}

export interface SshConnectionPoolOptions {
  connector: PoolConnector;
  /** Default cap on concurrent channels per connection. */
  maxSessions?: number;
  /** Attempts to reopen a connection that was up and dropped (each failure waits base * 2^n, capped). */
  reconnectAttempts?: number;
  reconnectBaseDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Close a connection nobody used for this long; 0 keeps it open. Default 5 minutes. */
  idleTimeoutMs?: number;
  log?: (entry: PoolLogEntry) => void;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface PoolStats {
  connected: boolean;
  /** Successful connection openings since the entry was created: 1 means every command reused one connection. */
  connects: number;
  activeChannels: number;
  queued: number;
  maxSessions: number;
  /** Highest number of channels open at once. */
  peakChannels: number;
  hostKey: HostKeyInfo | null;
  lastHandshakeMs: number | null;
}

export const defaultMaxSessions = 8;

/** A channel lent by the pool; call release() once it has closed. */
export interface LeasedChannel {
  channel: ClientChannel;
  /** Is the connection this channel belongs to still up? (Tells "command failed" from "connection lost".) */
  connectionAlive: () => boolean;
  /** Did the connection die because the NAS stopped answering its keepalives (a dead network or a hung NAS)? */
  stoppedAnswering: () => boolean;
  release: () => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface LiveSession extends PoolSession {
  alive: boolean;
  generation: number;
  /** ssh2 gave up on keepalives (it emits the error, then closes). */
  stoppedAnswering: boolean;
}

function targetKey(target: PoolTarget): string {
  return JSON.stringify([target.host, target.port, target.username, target.authKey, target.cipherPreference ?? 'default']);
}

function isRetriable(error: unknown): boolean {
  return error instanceof AppFailure && error.code === 'HOST_UNREACHABLE';
}

function cancelled(message: string): AppFailure {
  return new AppFailure('CANCELLED', message);
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled('Cancelled while waiting to reconnect.'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled('Cancelled while waiting to reconnect.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

class PoolEntry {
  target: PoolTarget;
  key: string;
  session: LiveSession | null = null;
  connecting: Promise<LiveSession> | null = null;
  active = 0;
  cap: number;
  peak = 0;
  connects = 0;
  generation = 0;
  /** Did this entry ever have a working connection? Then a failure to reopen is a drop, worth retrying. */
  everConnected = false;
  queue: Waiter[] = [];
  idleTimer: NodeJS.Timeout | null = null;
  lastHandshakeMs: number | null = null;
  retired = false;
  constructor(target: PoolTarget, cap: number) {
    this.target = target;
    this.key = targetKey(target);
    this.cap = cap;
  }
}

export class SshConnectionPool {
  readonly #options: Required<Omit<SshConnectionPoolOptions, 'log'>> & Pick<SshConnectionPoolOptions, 'log'>;
  readonly #entries = new Map<string, PoolEntry>();
  #closed = false;

  constructor(options: SshConnectionPoolOptions) {
    this.#options = {
      maxSessions: defaultMaxSessions,
      reconnectAttempts: 3,
      reconnectBaseDelayMs: 500,
      reconnectMaxDelayMs: 10_000,
      idleTimeoutMs: 5 * 60_000,
      sleep: defaultSleep,
      ...options,
    };
  }

  #log(level: PoolLogEntry['level'], connectionId: string, message: string): void {
    this.#options.log?.({ level, connectionId, message });
  }

  #entry(target: PoolTarget): PoolEntry {
    if (this.#closed) throw new AppFailure('CANCELLED', 'The app is shutting down: no new SSH commands.');
    let entry = this.#entries.get(target.connectionId);
    const cap = Math.max(1, target.maxSessions ?? this.#options.maxSessions);
    if (entry && entry.key !== targetKey(target)) {
      // Address, user or auth changed: the old connection no longer represents this NAS connection.
      this.#log('info', target.connectionId, `Settings of ${targetLabel(target)} changed: reconnecting.`);
      this.#retire(entry);
      entry = undefined;
    }
    if (!entry) {
      entry = new PoolEntry(target, cap);
      this.#entries.set(target.connectionId, entry);
    } else {
      entry.target = target;
    }
    return entry;
  }

  /** Ends an entry's connection; its channels in flight fail with "connection lost". */
  #retire(entry: PoolEntry, reason = 'Connection closed.'): void {
    entry.retired = true;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = null;
    const session = entry.session;
    entry.session = null;
    if (session) {
      session.alive = false;
      try {
        session.client.end();
      } catch {
        // already gone
      }
    }
    for (const waiter of entry.queue.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(cancelled(reason));
    }
    if (this.#entries.get(entry.target.connectionId) === entry) this.#entries.delete(entry.target.connectionId);
  }

  async #waitForSlot(entry: PoolEntry, signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) throw cancelled(`Cancelled before it started on ${targetLabel(entry.target)}.`);
    if (entry.active < entry.cap && entry.queue.length === 0) {
      entry.active += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          signal?.removeEventListener('abort', waiter.onAbort);
          resolve();
        },
        reject,
        signal,
        onAbort: () => {
          const index = entry.queue.indexOf(waiter);
          if (index >= 0) entry.queue.splice(index, 1);
          reject(cancelled(`Cancelled while waiting for a free SSH channel on ${targetLabel(entry.target)}.`));
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      entry.queue.push(waiter);
    });
  }

  #releaseSlot(entry: PoolEntry): void {
    entry.active -= 1;
    this.#pump(entry);
    if (entry.active === 0 && entry.queue.length === 0) this.#armIdleTimer(entry);
  }

  #pump(entry: PoolEntry): void {
    while (entry.active < entry.cap && entry.queue.length > 0) {
      const next = entry.queue.shift()!;
      entry.active += 1;
      next.resolve();
    }
  }

  #armIdleTimer(entry: PoolEntry): void {
    if (this.#options.idleTimeoutMs <= 0 || !entry.session) return;
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    entry.idleTimer = setTimeout(() => {
      entry.idleTimer = null;
      if (entry.active === 0 && entry.session) {
        this.#log('debug', entry.target.connectionId, `Closing idle connection to ${targetLabel(entry.target)}.`);
        const session = entry.session;
        entry.session = null;
        session.alive = false;
        session.client.end();
      }
    }, this.#options.idleTimeoutMs);
    entry.idleTimer.unref?.();
  }

  async #openOnce(entry: PoolEntry, signal: AbortSignal | undefined): Promise<LiveSession> {
    const opened = await this.#options.connector(entry.target, signal);
    const generation = ++entry.generation;
    const session: LiveSession = { ...opened, alive: true, generation, stoppedAnswering: false };
    const onGone = () => {
      if (!session.alive) return;
      session.alive = false;
      if (entry.session === session) {
        entry.session = null;
        this.#log('warn', entry.target.connectionId, `Connection to ${targetLabel(entry.target)} dropped; it will be reopened on next use.`);
      }
    };
    opened.client.on('close', onGone);
    opened.client.on('end', onGone);
    opened.client.on('error', (error) => {
      if (/keepalive/i.test(error.message)) session.stoppedAnswering = true;
      this.#log('warn', entry.target.connectionId, `Connection to ${targetLabel(entry.target)}: ${error.message}`);
    });
    entry.connects += 1;
    entry.everConnected = true;
    entry.lastHandshakeMs = opened.handshakeMs;
    this.#log('info', entry.target.connectionId, `Connected to ${targetLabel(entry.target)} in ${Math.round(opened.handshakeMs)} ms.`);
    return session;
  }

  async #open(entry: PoolEntry, signal: AbortSignal | undefined): Promise<LiveSession> {
    const attempts = entry.everConnected ? Math.max(1, this.#options.reconnectAttempts) : 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#openOnce(entry, signal);
      } catch (error) {
        if (attempt >= attempts || !isRetriable(error) || signal?.aborted) throw error;
        const delay = Math.min(this.#options.reconnectMaxDelayMs, this.#options.reconnectBaseDelayMs * 2 ** (attempt - 1));
        this.#log('warn', entry.target.connectionId, `Reconnecting to ${targetLabel(entry.target)} failed (attempt ${attempt}/${attempts}); retrying in ${delay} ms.`);
        await this.#options.sleep(delay, signal);
      }
    }
  }

  async #session(entry: PoolEntry, signal: AbortSignal | undefined): Promise<LiveSession> {
    if (entry.retired) throw cancelled(`The connection to ${targetLabel(entry.target)} was closed.`);
    if (entry.session?.alive) return entry.session;
    if (!entry.connecting) {
      // Shared by every caller that arrives while it runs; not tied to one caller's signal, so one
      // cancelled command does not fail the others waiting on the same handshake.
      entry.connecting = this.#open(entry, undefined).finally(() => {
        entry.connecting = null;
      });
      entry.connecting.then(
        (session) => {
          if (!entry.retired) entry.session = session;
          else {
            session.alive = false;
            session.client.end();
          }
        },
        () => {},
      );
    }
    const connecting = entry.connecting;
    if (!signal) return connecting;
    return new Promise<LiveSession>((resolve, reject) => {
      const onAbort = () => reject(cancelled(`Cancelled while connecting to ${targetLabel(entry.target)}.`));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      connecting.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  #openChannel(session: LiveSession, command: string, onOpen: ((channel: ClientChannel) => void) | undefined): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
      try {
        session.client.exec(command, (error, channel) => {
          if (error) return reject(error);
          // Synchronously: ssh2 may emit the channel's data, 'exit' and 'close' right after this callback,
          // in the same tick, before any awaiting code would run.
          onOpen?.(channel);
          resolve(channel);
        });
      } catch (error) {
        reject(error);
      }
    });
  }

  /**
   * Opens an exec channel for `command` on the target's pooled connection, connecting first if needed.
   * Waits for a free slot when `maxSessions` channels are already open. `onOpen` runs synchronously when the
   * channel opens: attach the channel's listeners there, not after awaiting.
   */
  async exec(
    target: PoolTarget,
    command: string,
    signal?: AbortSignal,
    onOpen?: (channel: ClientChannel) => void,
    options: { urgent?: boolean } = {},
  ): Promise<LeasedChannel> {
    const entry = this.#entry(target);
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = null;
    }
    // Urgent (stopping a command): skip the queue, one channel over the cap (sshd's MaxSessions is 10).
    if (options.urgent) entry.active += 1;
    else await this.#waitForSlot(entry, signal);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#releaseSlot(entry);
    };
    try {
      for (let attempt = 1; ; attempt += 1) {
        const session = await this.#session(entry, signal);
        if (signal?.aborted) throw cancelled(`Cancelled before it started on ${targetLabel(entry.target)}.`);
        try {
          const channel = await this.#openChannel(session, command, onOpen);
          entry.peak = Math.max(entry.peak, entry.active);
          return { channel, release, connectionAlive: () => session.alive, stoppedAnswering: () => session.stoppedAnswering };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (!session.alive || /Not connected|No response from server/.test(message)) {
            // The connection died under us before the command started: nothing ran, reopen and retry once.
            session.alive = false;
            if (entry.session === session) entry.session = null;
            if (attempt < 2) continue;
          } else if (/Channel open failure/.test(message) && entry.active > 1) {
            // The server allows fewer sessions than our cap (sshd MaxSessions): shrink the cap to what it
            // accepted and wait for a slot like everyone else.
            const accepted = entry.active - 1;
            if (accepted < entry.cap) {
              this.#log('warn', entry.target.connectionId, `${targetLabel(entry.target)} refused channel ${entry.active}: limiting to ${accepted} concurrent channels.`);
              entry.cap = accepted;
            }
            released = true;
            entry.active -= 1;
            await this.#waitForSlot(entry, signal);
            released = false;
            continue;
          }
          throw error;
        }
      }
    } catch (error) {
      release();
      throw error;
    }
  }

  stats(connectionId: string): PoolStats | null {
    const entry = this.#entries.get(connectionId);
    if (!entry) return null;
    return {
      connected: entry.session?.alive ?? false,
      connects: entry.connects,
      activeChannels: entry.active,
      queued: entry.queue.length,
      maxSessions: entry.cap,
      peakChannels: entry.peak,
      hostKey: entry.session?.hostKey ?? null,
      lastHandshakeMs: entry.lastHandshakeMs,
    };
  }

  /** Opens (or reuses) the connection without running anything: "test connection". */
  async connect(target: PoolTarget, signal?: AbortSignal): Promise<PoolSession> {
    const entry = this.#entry(target);
    return this.#session(entry, signal);
  }

  /** Drops one NAS's connection (settings changed, host key re-trusted, connection removed). */
  close(connectionId: string): void {
    const entry = this.#entries.get(connectionId);
    if (entry) this.#retire(entry);
  }

  /** Ends every connection; later calls fail with CANCELLED. For app shutdown. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    const gone = entries.map(
      (entry) =>
        new Promise<void>((resolve) => {
          const client = entry.session?.client;
          if (!client || !entry.session?.alive) return resolve();
          const timer = setTimeout(resolve, 2000);
          timer.unref?.();
          client.on('close', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    );
    for (const entry of entries) this.#retire(entry, 'The app is shutting down.');
    await Promise.all(gone);
  }
}
