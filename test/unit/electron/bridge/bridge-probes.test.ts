import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type RunningBridge } from '../../../../electron/bridge/bridge-server.ts';
import { createCore } from '../../../../electron/services/core.ts';
import { openConfStore } from '../../../../electron/services/store/open-conf-store.ts';
import { bridgeMaxMessageBytes } from '../../../../shared/bridge-limits.ts';
import { bridgeProtocol, bridgeTokenPrefix } from '../../../../shared/contract.ts';
import { closeFrame, frame, rawExchange, rawWebSocket, textFrame } from './raw-socket.ts';

// The probes of issue 11 item 3 that each stopped the browser-mode backend with one request. Every one must now
// cost at most the connection that sent it: the bridge answers other clients and new ones afterwards.

let root: string;
let bridge: RunningBridge;
let bystander: WebSocket;
let nextId = 1;
// An error that escapes the bridge's handlers would end a real bridge process; here vitest would only report it at
// the end of the run, so each probe checks for one itself.
const escaped: unknown[] = [];
const recordEscaped = (error: unknown) => escaped.push(error);

function openClient(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/rpc`, [bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}`], { origin: bridge.origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function ping(ws: WebSocket): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer to ping within 5 s')), 5000);
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
      if (message.id !== id) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(message.result);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, verb: 'ping', request: { message: 'still there?' } }));
  });
}

async function expectStillServing(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(escaped, 'an error escaped the bridge (it would have stopped the process)').toEqual([]);
  expect(await ping(bystander)).toMatchObject({ ok: true, value: { message: 'still there?' } });
  const fresh = await openClient();
  expect(await ping(fresh)).toMatchObject({ ok: true });
  fresh.close();
  const page = await rawExchange(bridge.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nConnection: close\r\n\r\n`);
  expect(page.response).toMatch(/^HTTP\/1\.1 200/);
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-bridge-probes-'));
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  const core = createCore({
    store: openConfStore(path.join(root, 'config')),
    configDir: path.join(root, 'config'),
    versions: { app: '0.0.0-test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  });
  bridge = await startBridge({ core, rendererDir });
  bystander = await openClient();
  process.on('uncaughtException', recordEscaped);
  process.on('unhandledRejection', recordEscaped);
});
afterAll(async () => {
  process.off('uncaughtException', recordEscaped);
  process.off('unhandledRejection', recordEscaped);
  bystander.close();
  await bridge.close();
  rmSync(root, { recursive: true, force: true });
});

// Generous timeouts: these use real sockets, and CI machines are often loaded.
describe('the bridge survives the requests that used to stop it', { timeout: 30_000 }, () => {
  it('an upgrade request with the target //[ (no token needed) gets an HTTP error', async () => {
    const upgrade = (target: string) =>
      rawExchange(
        bridge.port,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    for (const target of ['//[', '//[::1', 'http://[', '*', '/%', '/rpc%zz']) {
      const { response } = await upgrade(target);
      expect(response, target).toMatch(/^HTTP\/1\.1 (400|404)/);
    }
    const plain = await rawExchange(bridge.port, `GET //[ HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nConnection: close\r\n\r\n`);
    expect(plain.response).toMatch(/^HTTP\/1\.1 400/);
    await expectStillServing();
  });

  // Each malformed frame closes only its own connection, with the status code RFC 6455 gives for it.
  const malformed: { name: string; bytes: () => Buffer; closeCode: number }[] = [
    { name: 'a frame announcing more than 1 MiB', bytes: () => textFrame('', { declaredLength: bridgeMaxMessageBytes + 1 }), closeCode: 1009 },
    { name: 'invalid UTF-8 in a text frame', bytes: () => textFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), closeCode: 1007 },
    { name: 'an unmasked client frame', bytes: () => textFrame('{"id":1,"verb":"ping","request":{"message":"x"}}', { mask: false }), closeCode: 1002 },
    { name: 'RSV1 set without a negotiated extension', bytes: () => textFrame('{}', { rsv: 4 }), closeCode: 1002 },
    { name: 'a reserved opcode', bytes: () => frame({ opcode: 0x3, payload: Buffer.from('x') }), closeCode: 1002 },
    { name: 'a close frame with an invalid code', bytes: () => closeFrame(999), closeCode: 1002 },
    { name: 'a close frame with a reserved code', bytes: () => closeFrame(1005), closeCode: 1002 },
    { name: 'a continuation frame with nothing to continue', bytes: () => frame({ opcode: 0x0, payload: Buffer.from('x') }), closeCode: 1002 },
    { name: 'a fragmented control frame', bytes: () => frame({ opcode: 0x9, fin: false }), closeCode: 1002 },
  ];
  for (const probe of malformed) {
    it(`drops the connection that sends ${probe.name}, and only that one`, async () => {
      const attacker = await rawWebSocket(bridge.port, bridge.token);
      attacker.send(probe.bytes());
      const { closeCode } = await attacker.closed;
      expect(closeCode).toBe(probe.closeCode);
      await expectStillServing();
    });
  }

  it('drops a client that sends a real 1.1 MB message (a paste into a form field), and only that client', async () => {
    const client = await openClient();
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    client.on('error', () => undefined);
    client.send(JSON.stringify({ id: 1, verb: 'saveConnection', request: { name: 'x'.repeat(1_100_000), host: 'nas' } }));
    expect(await closed).toBe(1009);
    await expectStillServing();
  });

  it('closes the connection on a message that is not a JSON object with an id, and answers the rest', async () => {
    for (const text of ['not json', '[]', 'null', '{"id":"1"}', '{"id":1.5}', '{"id":1e999}', '"x"']) {
      const attacker = await rawWebSocket(bridge.port, bridge.token);
      attacker.send(textFrame(text));
      expect((await attacker.closed).closeCode, text).toBe(1003);
    }
    const binary = await rawWebSocket(bridge.port, bridge.token);
    binary.send(frame({ opcode: 0x2, payload: Buffer.from('{"id":1,"verb":"ping"}') }));
    expect((await binary.closed).closeCode).toBe(1003);
    await expectStillServing();
  });

  it('answers an unknown verb or a malformed request with an error Result, on a connection that stays open', async () => {
    const client = await openClient();
    const call = (message: unknown) =>
      new Promise<unknown>((resolve) => {
        client.once('message', (data) => resolve(JSON.parse(data.toString())));
        client.send(JSON.stringify(message));
      });
    expect(await call({ id: 1, verb: { toString: 1 }, request: null })).toMatchObject({ id: 1, result: { ok: false, error: { code: 'UNKNOWN_VERB' } } });
    expect(await call({ id: 2, verb: 'saveConnection', request: [1, 2] })).toMatchObject({ id: 2, result: { ok: false, error: { code: 'INVALID_REQUEST' } } });
    expect(await call({ id: 3, verb: 'ping', request: { message: 'x' } })).toMatchObject({ id: 3, result: { ok: true } });
    client.close();
  });
});
