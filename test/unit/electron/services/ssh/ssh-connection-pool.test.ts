import { describe, expect, it } from 'vitest';
import { AppFailure } from '../../../../../shared/result.ts';
import { SshConnectionPool, type PoolConnector, type PoolTarget } from '../../../../../electron/services/ssh/ssh-connection-pool.ts';
import { SshCommandRunner } from '../../../../../electron/services/ssh/ssh-command-runner.ts';
import { FakeClient, defaultHandler, fakeSession, type ExecHandler } from './fake-ssh.ts';

const target: PoolTarget = { connectionId: 'c1', host: 'nas-a', port: 22, username: 'admin', authKey: '{"kind":"app-key"}' };

function setup(options: { handler?: ExecHandler; maxSessions?: number; failConnects?: AppFailure[]; idleTimeoutMs?: number } = {}) {
  const clients: FakeClient[] = [];
  const failures = [...(options.failConnects ?? [])];
  const sleeps: number[] = [];
  const connector: PoolConnector = async () => {
    const failure = failures.shift();
    if (failure) throw failure;
    const client = new FakeClient(clients.length + 1, options.handler ?? defaultHandler);
    clients.push(client);
    return fakeSession(client);
  };
  const pool = new SshConnectionPool({
    connector,
    maxSessions: options.maxSessions ?? 8,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const runner = new SshCommandRunner({ pool, target: { ...target, privilege: 'root' } });
  return { pool, runner, clients, sleeps };
}

const unreachable = () => new AppFailure('HOST_UNREACHABLE', 'Cannot reach nas-a:22.');

describe('SshConnectionPool', () => {
  it('runs many commands over one connection', async () => {
    const { pool, runner, clients } = setup();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => runner.run(['printf', '%s', `n${i}`])));
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `n${i}`));
    expect(clients).toHaveLength(1);
    expect(pool.stats('c1')).toMatchObject({ connects: 1, activeChannels: 0, queued: 0, connected: true });
  });

  it('caps concurrent channels and queues the rest in order', async () => {
    const { pool, runner, clients } = setup({ maxSessions: 3, handler: () => {} });
    const runs = Array.from({ length: 7 }, (_, i) => runner.run(['printf', '%s', `n${i}`]));
    await new Promise((r) => setTimeout(r, 20));
    const client = clients[0]!;
    expect(client.channels).toHaveLength(3);
    expect(pool.stats('c1')).toMatchObject({ activeChannels: 3, queued: 4 });
    // Finish them one by one: each completion lets exactly one queued command in, first come first served.
    for (let done = 0; done < 7; done += 1) {
      client.channels[done]!.complete(0, `n${done}`);
      await new Promise((r) => setTimeout(r, 5));
      expect(client.channels.length).toBe(Math.min(7, done + 4));
    }
    expect((await Promise.all(runs)).map((r) => r.stdout)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6']);
    expect(client.channels.map((c) => c.userCommand)).toEqual(Array.from({ length: 7 }, (_, i) => `env LC_ALL=C printf %s n${i}`));
    expect(pool.stats('c1')?.peakChannels).toBe(3);
  });

  it('shrinks its cap when the server refuses channels (sshd MaxSessions below ours)', async () => {
    const { pool, runner, clients } = setup({ maxSessions: 8, handler: () => {} });
    const first = runner.run(['true']);
    await new Promise((r) => setTimeout(r, 5));
    clients[0]!.serverMaxSessions = 2;
    const runs = [first, ...Array.from({ length: 4 }, () => runner.run(['true']))];
    await new Promise((r) => setTimeout(r, 30));
    expect(pool.stats('c1')?.maxSessions).toBe(2);
    for (let i = 0; i < 20 && clients[0]!.channels.some((c) => !c.isClosed); i += 1) {
      for (const channel of clients[0]!.channels) if (!channel.closed) channel.complete(0);
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(runs);
    expect(clients[0]!.channels.filter((c) => c.isClosed)).toHaveLength(5);
  });

  it('reconnects on next use after the connection dropped, with backoff on failures', async () => {
    const { pool, runner, clients, sleeps } = setup({ failConnects: [] });
    await runner.run(['true']);
    clients[0]!.drop();
    await new Promise((r) => setTimeout(r, 5));
    expect(pool.stats('c1')?.connected).toBe(false);
    await runner.run(['true']);
    expect(clients).toHaveLength(2);
    expect(pool.stats('c1')?.connects).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('tries a first connection once, without backoff (the admin is waiting for an answer)', async () => {
    const { pool, runner, sleeps } = setup({ failConnects: [unreachable(), unreachable()] });
    await expect(runner.run(['true'])).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
    await expect(runner.run(['true'])).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
    expect(sleeps).toEqual([]);
    await runner.run(['true']);
    expect(pool.stats('c1')?.connects).toBe(1);
  });

  it('backs off 500, 1000 ms when reopening a dropped connection fails', async () => {
    let fail = 0;
    const clients: FakeClient[] = [];
    const sleeps: number[] = [];
    const pool = new SshConnectionPool({
      connector: async () => {
        if (fail > 0) {
          fail -= 1;
          throw unreachable();
        }
        const client = new FakeClient(clients.length + 1, defaultHandler);
        clients.push(client);
        return fakeSession(client);
      },
      idleTimeoutMs: 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const runner = new SshCommandRunner({ pool, target: { ...target, privilege: 'root' } });
    await runner.run(['true']);
    clients[0]!.drop();
    await new Promise((r) => setTimeout(r, 5));
    fail = 2;
    await runner.run(['true']);
    expect(sleeps).toEqual([500, 1000]);
    clients[1]!.drop();
    await new Promise((r) => setTimeout(r, 5));
    fail = 5;
    await expect(runner.run(['true'])).rejects.toMatchObject({ code: 'HOST_UNREACHABLE' });
    expect(sleeps).toEqual([500, 1000, 500, 1000]);
  });

  it('never retries auth or host key failures', async () => {
    let calls = 0;
    const pool = new SshConnectionPool({
      connector: async () => {
        calls += 1;
        throw new AppFailure('AUTH_FAILED', 'refused');
      },
      sleep: async () => {},
    });
    const runner = new SshCommandRunner({ pool, target: { ...target, privilege: 'root' } });
    await expect(runner.run(['true'])).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(calls).toBe(1);
  });

  it('shares one handshake between concurrent first commands', async () => {
    let connects = 0;
    const pool = new SshConnectionPool({
      connector: async () => {
        connects += 1;
        await new Promise((r) => setTimeout(r, 20));
        return fakeSession(new FakeClient(connects, defaultHandler));
      },
      idleTimeoutMs: 0,
    });
    const runner = new SshCommandRunner({ pool, target: { ...target, privilege: 'root' } });
    await Promise.all(Array.from({ length: 5 }, () => runner.run(['true'])));
    expect(connects).toBe(1);
  });

  it('reopens when the connection settings change', async () => {
    const { pool, clients } = setup();
    const a = new SshCommandRunner({ pool, target: { ...target, privilege: 'root' } });
    await a.run(['true']);
    const b = new SshCommandRunner({ pool, target: { ...target, port: 2222, privilege: 'root' } });
    await b.run(['true']);
    expect(clients).toHaveLength(2);
    expect(clients[0]!.alive).toBe(false);
  });

  it('closes idle connections after idleTimeoutMs', async () => {
    const { pool, runner, clients } = setup({ idleTimeoutMs: 20 });
    await runner.run(['true']);
    await new Promise((r) => setTimeout(r, 60));
    expect(clients[0]!.alive).toBe(false);
    expect(pool.stats('c1')?.connected).toBe(false);
    await runner.run(['true']);
    expect(clients).toHaveLength(2);
  });

  it('a queued command can be cancelled without taking a slot', async () => {
    const { pool, runner, clients } = setup({ maxSessions: 1, handler: () => {} });
    const first = runner.run(['sleep', '10']);
    await new Promise((r) => setTimeout(r, 5));
    const controller = new AbortController();
    const second = runner.run(['true'], { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 5));
    expect(pool.stats('c1')?.queued).toBe(1);
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(pool.stats('c1')?.queued).toBe(0);
    clients[0]!.channels[0]!.complete(0);
    await first;
    expect(clients[0]!.channels).toHaveLength(1);
  });

  it('closeAll ends connections, fails queued work and refuses new work', async () => {
    const { pool, runner, clients } = setup({ maxSessions: 1, handler: () => {} });
    const running = runner.run(['sleep', '10']).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 5));
    const queued = runner.run(['true']).catch((error: unknown) => error);
    await new Promise((r) => setTimeout(r, 5));
    await pool.closeAll();
    expect(clients[0]!.alive).toBe(false);
    expect(await queued).toMatchObject({ code: 'CANCELLED' });
    expect(await running).toMatchObject({ code: 'HOST_UNREACHABLE' });
    await expect(runner.run(['true'])).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
