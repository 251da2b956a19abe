import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { createWebSocketApi, localVerbs } from '../../../../renderer/transport/websocket-api.ts';
import { bridgeProtocol, type TransportState } from '../../../../shared/contract.ts';

// The browser's WebSocket client against a real ws server in this process (Node's own WebSocket as the
// browser's): timeouts, reconnect with backoff, online/offline, and the per-connection subscriptions made again.

interface Received {
  connection: number;
  verb: string;
  request: any;
}

class FakeBridge {
  http!: Server;
  wss!: WebSocketServer;
  port = 0;
  connections = 0;
  received: Received[] = [];
  sockets = new Set<ServerSocket>();

  async start(port = 0): Promise<void> {
    this.http = createServer();
    this.wss = new WebSocketServer({ server: this.http, handleProtocols: (protocols) => (protocols.has(bridgeProtocol) ? bridgeProtocol : false) });
    this.wss.on('connection', (ws) => {
      const connection = ++this.connections;
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => {
        const { id, verb, request } = JSON.parse(data.toString());
        this.received.push({ connection, verb, request });
        // getSettings and preflightConnection stand for a backend that stopped answering.
        if (verb === 'getSettings' || verb === 'preflightConnection') return;
        const value = verb === 'ping' ? { message: request.message, receivedAt: 'now' } : verb === 'tailTaskLog' ? { offset: request.offset ?? 10 } : verb === 'subscribeRuns' ? { runs: [] } : {};
        ws.send(JSON.stringify({ id, result: { ok: true, value } }));
      });
    });
    await new Promise<void>((resolve) => this.http.listen(port, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
  }

  broadcast(event: string, payload: unknown): void {
    for (const ws of this.sockets) ws.send(JSON.stringify({ event, payload }));
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

let bridge: FakeBridge;
afterEach(async () => {
  await bridge?.stop().catch(() => undefined);
});

describe('WebSocket client of the bridge', () => {
  it('answers calls, times out a request the backend never answers, reports connecting then online', async () => {
    bridge = new FakeBridge();
    await bridge.start();
    const api = createWebSocketApi({ url: `ws://127.0.0.1:${bridge.port}/rpc`, token: 't', WebSocket: globalThis.WebSocket, timeoutMs: 200 });
    const states: TransportState[] = [];
    api.onTransportState((state) => states.push(state));
    expect(await api.ping({ message: 'hi' })).toEqual({ ok: true, value: { message: 'hi', receivedAt: 'now' } });
    expect(states.map((s) => s.status)).toEqual(['connecting', 'online']);
    // A request the backend never answers: the timeout ends it; the connection stays usable.
    const started = Date.now();
    expect(await api.getSettings({})).toMatchObject({ ok: false, error: { code: 'TIMEOUT', message: expect.stringContaining('getSettings') } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect((await api.ping({ message: 'still' })).ok).toBe(true);
  });

  it('gives the short timeout only to verbs the app answers itself: a NAS verb (the pre-flight test) waits longer', async () => {
    bridge = new FakeBridge();
    await bridge.start();
    const api = createWebSocketApi({ url: `ws://127.0.0.1:${bridge.port}/rpc`, token: 't', WebSocket: globalThis.WebSocket, timeoutMs: 100, slowTimeoutMs: 600 });
    const timed = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      expect(await call()).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
      return Date.now() - started;
    };
    expect(await timed(() => api.getSettings({}))).toBeLessThan(550);
    expect(await timed(() => api.preflightConnection({ connectionId: 'x' } as never))).toBeGreaterThanOrEqual(590);
    expect(localVerbs.has('preflightConnection')).toBe(false);
    expect(localVerbs.has('nasStatus')).toBe(false);
  });

  it('goes offline when the connection drops, fails what was in flight, reconnects with backoff and makes its subscriptions again', async () => {
    bridge = new FakeBridge();
    await bridge.start();
    const port = bridge.port;
    const api = createWebSocketApi({ url: `ws://127.0.0.1:${port}/rpc`, token: 't', WebSocket: globalThis.WebSocket, timeoutMs: 5000, reconnectMinMs: 50, reconnectMaxMs: 400 });
    const states: TransportState[] = [];
    api.onTransportState((state) => states.push(state));
    const logs: unknown[] = [];
    api.on('taskLog', (chunk) => logs.push(chunk));
    expect((await api.subscribeRuns({})).ok).toBe(true);
    const taskId = '6f1f6b2e-6a44-4f3c-9d55-0a7f1f7e2b10';
    expect(await api.tailTaskLog({ taskId })).toEqual({ ok: true, value: { offset: 10 } });
    bridge.broadcast('taskLog', { taskId, text: 'a line\n', offset: 10, nextOffset: 42, size: 42, restarted: false });
    await until(() => logs.length === 1);

    // The backend goes away with a request in flight: it fails at once, and the page says it is offline.
    const inFlight = api.getSettings({});
    await until(() => bridge.received.some((r) => r.verb === 'getSettings'));
    await bridge.stop();
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });
    await until(() => states.at(-1)?.status === 'offline');
    expect(states.at(-1)).toMatchObject({ status: 'offline', reconnectInMs: expect.any(Number), reason: expect.stringContaining('closed') });
    // While it is down, calls fail instead of hanging; attempts keep coming, further apart each time.
    expect(await api.ping({ message: 'down' })).toMatchObject({ ok: false, error: { code: 'TRANSPORT_CLOSED' } });
    await until(() => states.filter((s) => s.status === 'offline').length >= 3);
    const delays = states.filter((s) => s.status === 'offline').map((s) => s.reconnectInMs!);
    expect(delays.at(-1)!).toBeGreaterThan(delays[0]!);

    // Back: online again, the all-runs subscription and the log tail (from where it was) are made again.
    bridge = new FakeBridge();
    await bridge.start(port);
    await until(() => states.at(-1)?.status === 'online', 5000);
    await until(() => bridge.received.length >= 2);
    expect(bridge.received).toEqual(
      expect.arrayContaining([
        { connection: 1, verb: 'subscribeRuns', request: {} },
        { connection: 1, verb: 'tailTaskLog', request: { taskId, offset: 42 } },
      ]),
    );
    expect(await api.ping({ message: 'back' })).toMatchObject({ ok: true, value: { message: 'back' } });
    bridge.broadcast('taskLog', { taskId, text: 'after\n', offset: 42, nextOffset: 48, size: 48, restarted: false });
    await until(() => logs.length === 2);
  });

  it('without a token and never connected: FORBIDDEN with the hint to open the full address', async () => {
    bridge = new FakeBridge();
    await bridge.start();
    await bridge.stop();
    const api = createWebSocketApi({ url: `ws://127.0.0.1:${bridge.port}/rpc`, token: '', WebSocket: globalThis.WebSocket, reconnectMinMs: 10_000 });
    expect(await api.ping({ message: 'x' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', hint: expect.stringContaining('address the app printed') } });
  });
});
