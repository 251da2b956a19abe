import { EventEmitter } from 'node:events';
import { Duplex, PassThrough } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import type { ExecClient, PoolSession } from '../../../../../electron/services/ssh/ssh-connection-pool.ts';

// In-process stand-ins for an ssh2 connection and its exec channels: enough for the pool and runner logic.

export class FakeChannel extends Duplex {
  readonly stderr = new PassThrough();
  readonly command: string;
  stdin = '';
  stdinEnded = false;
  signals: string[] = [];
  isClosed = false;
  // The ssh2 internals the runner uses to signal a channel whose stdin is already ended.
  readonly type = 'session';
  readonly outgoing = { id: 1, state: 'eof' };
  readonly _client = { _protocol: { signal: (_id: number, name: string) => this.signal(name) } };
  /** The command without the runner's PID-reporting wrapper; `env LC_ALL=C` where the wrapper sets it. */
  get userCommand(): string {
    const wrapped = /^sh -c '(.*?)exec "\$@"' sh (.*)$/s.exec(this.command);
    if (!wrapped) return this.command;
    return `${wrapped[1]!.includes('LC_ALL=C; export LC_ALL;') ? 'env LC_ALL=C ' : ''}${wrapped[2]}`;
  }
  constructor(command: string) {
    // Like ssh2's Channel: 'close' only when the SSH channel closes, not when both stream sides ended.
    super({ emitClose: false });
    this.command = command;
    this.on('finish', () => {
      this.stdinEnded = true;
      this.emit('stdin-ended');
    });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.stdin += chunk.toString('utf8');
    callback();
  }
  /** The remote command ends: output, exit status, then the channel closes. */
  complete(exitCode: number, stdout = '', stderr = ''): void {
    if (this.isClosed) return;
    if (stdout) this.push(stdout);
    if (stderr) this.stderr.push(stderr);
    this.push(null);
    this.stderr.push(null);
    this.emit('exit', exitCode);
    setImmediate(() => this.shut());
  }
  /** Like sshd for a non-root session: the process dies from the signal, the channel closes. */
  signal(name: string): void {
    this.signals.push(name);
    if (this.isClosed) return;
    this.emit('exit', null, name);
    this.push(null);
    this.stderr.push(null);
    setImmediate(() => this.shut());
  }
  close(): void {
    setImmediate(() => this.shut());
  }
  shut(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.emit('close');
  }
}

export type ExecHandler = (channel: FakeChannel, client: FakeClient) => void;

export class FakeClient extends EventEmitter implements ExecClient {
  readonly id: number;
  alive = true;
  channels: FakeChannel[] = [];
  /** Kill commands sent to stop a command by PID. */
  kills: string[] = [];
  open = 0;
  /** Delay before the server confirms a channel (a slow NAS). */
  openDelayMs = 0;
  /** Refuse channels above this many at once, like sshd's MaxSessions. */
  serverMaxSessions = Infinity;
  handler: ExecHandler;
  constructor(id: number, handler: ExecHandler) {
    super();
    this.id = id;
    this.handler = handler;
  }
  exec(command: string, callback: (err: Error | undefined, channel: ClientChannel) => void): this {
    if (!this.alive) throw new Error('Not connected');
    if (this.open >= this.serverMaxSessions) {
      setImmediate(() => callback(new Error('(SSH) Channel open failure: open failed'), undefined as unknown as ClientChannel));
      return this;
    }
    const channel = new FakeChannel(command);
    this.open += 1;
    channel.on('close', () => {
      this.open -= 1;
    });
    if (/^sh -c 'kill -s/.test(command)) {
      this.kills.push(command);
      setImmediate(() => {
        callback(undefined, channel as unknown as ClientChannel);
        channel.complete(0);
      });
      return this;
    }
    this.channels.push(channel);
    // The runner's wrapper reports the remote PID first on stderr.
    if (command.startsWith("sh -c 'printf")) channel.stderr.push(`zrd-pid:${4000 + this.channels.length}\n`);
    setTimeout(() => {
      callback(undefined, channel as unknown as ClientChannel);
      this.handler(channel, this);
    }, this.openDelayMs);
    return this;
  }
  end(): this {
    this.drop();
    return this;
  }
  /** The NAS stops answering: like ssh2 after its last unanswered keepalive, the error, then the connection drops. */
  stopAnswering(): void {
    this.emit('error', Object.assign(new Error('Keepalive timeout'), { level: 'client-timeout' }));
    this.drop();
  }
  /** The TCP connection dies: open channels close without an exit status. */
  drop(): void {
    if (!this.alive) return;
    this.alive = false;
    // Like ssh2: the client's 'close' first, then its open channels are closed.
    setImmediate(() => {
      this.emit('close');
      for (const channel of this.channels) channel.close();
    });
  }
}

/** Answers `printf %s X` with X, `exit N` with status N, `sleep` never; others exit 0. */
export const defaultHandler: ExecHandler = (channel) => {
  const command = channel.userCommand;
  const printf = /printf %s (.*)$/.exec(command);
  if (printf) return channel.complete(0, printf[1]);
  const exit = /exit (\d+)/.exec(command);
  if (exit) return channel.complete(Number(exit[1]), '', 'failed on purpose\n');
  if (/sleep/.test(command)) return;
  if (/cat/.test(command)) {
    channel.once('stdin-ended', () => channel.complete(0, channel.stdin));
    return;
  }
  channel.complete(0);
};

export function fakeSession(client: FakeClient): PoolSession {
  return { client, hostKey: { type: 'ssh-ed25519', sha256: 'SHA256:fake' }, handshakeMs: 5 };
}
