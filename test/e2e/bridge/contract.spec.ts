import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { bridgeProtocol, bridgeTokenPrefix, type BridgeServerMessage } from '../../../shared/contract.ts';

// The contract over the loopback bridge, from a Node client speaking the same protocol as the renderer.
const origin = () => process.env.ZRD_E2E_ORIGIN!;
const port = () => Number(process.env.ZRD_E2E_PORT);
const token = () => process.env.ZRD_E2E_TOKEN!;

function open(options: { token?: string; origin?: string; host?: string } = {}): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port()}/rpc`, [bridgeProtocol, `${bridgeTokenPrefix}${options.token ?? token()}`], {
    origin: options.origin ?? origin(),
    headers: options.host ? { host: options.host } : {},
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

function client(ws: WebSocket) {
  let nextId = 1;
  const events: BridgeServerMessage[] = [];
  const waiting = new Map<number, (value: unknown) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as BridgeServerMessage;
    if ('id' in message) waiting.get(message.id)?.(message.result);
    else events.push(message);
  });
  return {
    events,
    call: (verb: string, request: unknown) =>
      new Promise<any>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        ws.send(JSON.stringify({ id, verb, request }));
      }),
  };
}

test('ping and version round-trip over the bridge', async () => {
  const ws = await open();
  const api = client(ws);
  const pong = await api.call('ping', { message: 'hello ✓' });
  expect(pong.ok).toBe(true);
  expect(pong.value.message).toBe('hello ✓');
  expect(Date.parse(pong.value.receivedAt)).not.toBeNaN();
  const version = await api.call('getVersion', {});
  expect(version).toMatchObject({ ok: true, value: { transport: 'bridge', electron: null, app: '0.1.0' } });
  ws.close();
});

test('a pushed event reaches every client: connectionsChanged after saveConnection', async () => {
  const listener = client(await open());
  const actor = client(await open());
  const saved = await actor.call('saveConnection', { name: 'event-probe', host: '127.0.0.1', port: 2201 });
  expect(saved.ok).toBe(true);
  await expect.poll(() => listener.events.filter((e) => 'event' in e && e.event === 'connectionsChanged').length).toBe(1);
  const event = listener.events.find((e) => 'event' in e && e.event === 'connectionsChanged') as { payload: any };
  expect(event.payload.connections.map((c: { name: string }) => c.name)).toContain('event-probe');
  const log = listener.events.find((e) => 'event' in e && e.event === 'log') as { payload: any };
  expect(log.payload.message).toContain('Saved connection "event-probe"');
  expect((await actor.call('removeConnection', { id: saved.value.id })).value).toEqual({ removed: true });
});

test('errors cross as Results with a code and a hint', async () => {
  const api = client(await open());
  const unknown = await api.call('formatAllPools', {});
  expect(unknown).toMatchObject({ ok: false, error: { code: 'UNKNOWN_VERB' } });
  const invalid = await api.call('saveConnection', { name: 'x', host: '$(reboot)' });
  expect(invalid.ok).toBe(false);
  expect(invalid.error.code).toBe('INVALID_REQUEST');
  expect(invalid.error.message).toContain('Host must be');
  expect(invalid.error.hint).toBeTruthy();
});

test('the bridge refuses a wrong token, a foreign origin and a foreign Host header', async () => {
  await expect(open({ token: 'not-the-token' })).rejects.toThrow('HTTP 401');
  await expect(open({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  await expect(open({ host: `rebind.example:${port()}` })).rejects.toThrow('HTTP 421');
});
