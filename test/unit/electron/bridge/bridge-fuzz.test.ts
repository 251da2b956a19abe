import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type RunningBridge } from '../../../../electron/bridge/bridge-server.ts';
import { createCore, type Core } from '../../../../electron/services/core.ts';
import { dispatch, type Handlers } from '../../../../electron/services/rpc/dispatcher.ts';
import { openConfStore } from '../../../../electron/services/store/open-conf-store.ts';
import { bridgeMaxMessageBytes } from '../../../../shared/bridge-limits.ts';
import { bridgeProtocol, bridgeTokenPrefix, verbNames, verbs } from '../../../../shared/contract.ts';
import { AppFailure } from '../../../../shared/result.ts';
import { frame, rawExchange, rawWebSocket, type FrameOptions } from './raw-socket.ts';

// A seeded fuzz of the loopback bridge with real sockets: malformed HTTP requests and targets, upgrade requests,
// WebSocket frames, JSON messages, oversized values, random verbs and params. Whatever arrives, no error may escape
// (it would end the bridge process) and the bridge must still answer at the end. A failure prints the seed;
// ZRD_FUZZ_SEED=<seed> replays exactly the same cases.

const seed = Number(process.env.ZRD_FUZZ_SEED ?? 20261201);
const cases = Number(process.env.ZRD_FUZZ_CASES ?? 600);

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function generator(start: number) {
  let state = start >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => int(256)));
  return { next, int, pick, chance, bytes };
}
type Random = ReturnType<typeof generator>;

const nastyStrings = [
  '',
  ' ',
  '\0',
  '//[',
  '%',
  '%zz',
  '%00',
  '../../etc/passwd',
  '$(reboot)',
  '`id`',
  '; rm -rf /',
  '-oProxyCommand=x',
  'tank/data',
  'auto-%Y-%m-%d_%H-%M',
  '^(a+)+$',
  '(',
  '\u202e\ud800',
  '\udfff',
  '😀'.repeat(50),
  '\x1b[2J',
  'a'.repeat(70),
  '__proto__',
  'constructor',
  '9b7e0f5e-5b8f-4a59-9d7c-2f7b0f2e9a11',
  '127.0.0.1',
  'nas.example.internal',
];

function randomString(r: Random): string {
  if (r.chance(0.5)) return r.pick(nastyStrings);
  if (r.chance(0.05)) return `auto-%Y-%m-%d_%H-%M${'a'.repeat(40_000)}`; // made zod throw "Regular expression too large"
  if (r.chance(0.05)) return r.pick(['x', '(', '%', '\\']).repeat(r.int(200_000));
  return r.bytes(r.int(40)).toString('latin1');
}

function randomValue(r: Random, depth = 0): unknown {
  const kind = r.int(depth > 3 ? 5 : 8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1, 22, 65536, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
    case 4:
      return randomString(r);
    case 5:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    case 6:
      if (r.chance(0.1)) {
        // Deep nesting.
        let value: unknown = 1;
        for (let i = 0; i < 2000; i++) value = [value];
        return value;
      }
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [randomString(r).slice(0, 20), randomValue(r, depth + 1)]));
    default:
      return { kind: r.pick(['relay', 'direct', 'all', 'naming-schema', 'regex', 'manual', 'cron', 'custom', 'forever', 'x']), ...(randomValue(r, depth + 1) as object) };
  }
}

/** The field names a verb's request schema knows, so random requests get past the first check now and then. */
function fieldsOf(verb: string): string[] {
  const schema = verbs[verb as keyof typeof verbs].request as unknown as { shape?: Record<string, unknown> };
  return schema.shape ? Object.keys(schema.shape) : [];
}

function randomRequest(r: Random, verb: string): unknown {
  if (r.chance(0.15)) return randomValue(r);
  const fields = fieldsOf(verb);
  const request: Record<string, unknown> = {};
  for (const field of fields) if (r.chance(0.8)) request[field] = randomValue(r);
  if (r.chance(0.2)) request[randomString(r).slice(0, 30)] = randomValue(r);
  return request;
}

type Case =
  | { kind: 'http'; bytes: Buffer }
  | { kind: 'upgrade'; bytes: Buffer }
  | { kind: 'frames'; frames: Buffer[] }
  | { kind: 'messages'; messages: string[] }
  | { kind: 'oversized'; size: number };

function randomTarget(r: Random): string {
  return r.pick([
    () => '/',
    () => '/rpc',
    () => '/session',
    () => '/index.html',
    () => '//[',
    () => `/${randomString(r)}`,
    () => randomString(r),
    () => `/${'a/'.repeat(r.int(5000))}`,
    () => `http://127.0.0.1/${randomString(r)}`,
    () => '*',
    () => `/..${'%2f..'.repeat(r.int(10))}/etc/passwd`,
    () => `/assets/x.js.map`,
  ])()
    .replace(/[\r\n ]/g, '_');
}

function randomHeaders(r: Random, port: number, token: string): string[] {
  const headers: string[] = [];
  if (r.chance(0.8)) headers.push(`Host: ${r.pick([`127.0.0.1:${port}`, `localhost:${port}`, '[::1]', '', 'evil.example', randomString(r).replace(/[\r\n]/g, '')])}`);
  if (r.chance(0.3)) headers.push(`Host: 127.0.0.1:${port}`);
  if (r.chance(0.5)) headers.push(`Origin: ${r.pick([`http://127.0.0.1:${port}`, 'null', 'http://evil.example', `http://localhost:${port}`])}`);
  if (r.chance(0.5)) headers.push(`Sec-WebSocket-Protocol: ${r.pick([bridgeProtocol, `${bridgeProtocol}, ${bridgeTokenPrefix}${token}`, `${bridgeTokenPrefix}${token}`, `${bridgeProtocol}, ${bridgeTokenPrefix}x`, ',,,', randomString(r).replace(/[\r\n]/g, '')])}`);
  if (r.chance(0.3)) headers.push(`Content-Length: ${r.pick(['0', '5', '-1', 'abc', '99999999999', '10'])}`);
  if (r.chance(0.2)) headers.push('Transfer-Encoding: chunked');
  if (r.chance(0.3)) headers.push(`Content-Type: ${r.pick(['application/json', 'text/plain', ''])}`);
  if (r.chance(0.1)) headers.push(`X-Big: ${'b'.repeat(r.int(40_000))}`);
  if (r.chance(0.1)) headers.push(randomString(r).replace(/[\r\n]/g, ''));
  return headers;
}

function randomFrame(r: Random): Buffer {
  const options: FrameOptions = {
    opcode: r.chance(0.6) ? r.pick([0x1, 0x2, 0x8, 0x9, 0xa]) : r.int(16),
    fin: r.chance(0.85),
    rsv: r.chance(0.85) ? 0 : r.int(8),
    mask: r.chance(0.9),
  };
  const payload = r.chance(0.5) ? Buffer.from(JSON.stringify({ id: r.int(1000), verb: r.pick(verbNames), request: randomValue(r) }) ?? 'null') : r.bytes(r.int(200));
  if (options.opcode >= 0x8) options.payload = payload.subarray(0, r.chance(0.8) ? 125 : 200);
  else options.payload = payload;
  if (r.chance(0.05)) options.declaredLength = r.pick([bridgeMaxMessageBytes + 1, 2 ** 40, 70_000]);
  const built = frame(options);
  // Now and then cut a frame short.
  return r.chance(0.1) ? built.subarray(0, r.int(built.length)) : built;
}

function randomCase(r: Random, port: number, token: string): Case {
  const kind = r.int(10);
  if (kind < 2) {
    const method = r.pick(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'BREW', 'G\u00c9T', '']);
    const head = [`${method} ${randomTarget(r)} ${r.pick(['HTTP/1.1', 'HTTP/1.0', 'HTTP/2', 'HTTP/9.9', ''])}`, ...randomHeaders(r, port, token), 'Connection: close'];
    const body = r.chance(0.5) ? JSON.stringify({ code: randomValue(r) }) ?? '' : r.bytes(r.int(3000)).toString('latin1');
    const separator = r.chance(0.9) ? '\r\n' : r.pick(['\n', '\r', '\0']);
    return { kind: 'http', bytes: Buffer.from(`${head.join(separator)}${separator}${separator}${body}`, 'latin1') };
  }
  if (kind < 4) {
    const head = [
      `GET ${randomTarget(r)} HTTP/1.1`,
      ...randomHeaders(r, port, token),
      `Upgrade: ${r.pick(['websocket', 'WebSocket', 'h2c', ''])}`,
      `Connection: ${r.pick(['Upgrade', 'upgrade, keep-alive', 'close'])}`,
      ...(r.chance(0.8) ? [`Sec-WebSocket-Key: ${r.pick(['dGhlIHNhbXBsZSBub25jZQ==', '', '!!!', r.bytes(16).toString('base64')])}`] : []),
      ...(r.chance(0.8) ? [`Sec-WebSocket-Version: ${r.pick(['13', '8', '', 'x'])}`] : []),
    ];
    return { kind: 'upgrade', bytes: Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1') };
  }
  if (kind < 6) return { kind: 'frames', frames: Array.from({ length: 1 + r.int(4) }, () => randomFrame(r)) };
  if (kind < 9) {
    return {
      kind: 'messages',
      messages: Array.from({ length: 1 + r.int(5) }, () => {
        const verb = r.chance(0.85) ? r.pick(verbNames) : randomValue(r);
        const id = r.chance(0.95) ? r.int(1_000_000) : randomValue(r);
        return JSON.stringify({ id, verb, request: randomRequest(r, typeof verb === 'string' && verbNames.includes(verb as never) ? verb : 'ping') }) ?? 'null';
      }),
    };
  }
  return { kind: 'oversized', size: bridgeMaxMessageBytes + 1 + r.int(200_000) };
}

// Verbs that only read or write the settings file run for real; the rest would reach a NAS, so they are replaced by
// stand-ins that misbehave in every way a handler can.
const storeOnlyVerbs = new Set([
  'ping', 'getVersion', 'getStoreStatus', 'getSettings', 'updateSettings', 'listConnections', 'saveConnection', 'removeConnection',
  'zfsAllowCommands', 'listTasks', 'saveTask', 'removeTask', 'cancelTask', 'listRuns', 'listSnapshotTasks', 'saveSnapshotTask', 'removeSnapshotTask',
]);

function fuzzHandlers(real: Handlers, r: Random): Handlers {
  const misbehaving = () => {
    const how = r.int(6);
    if (how === 0) throw new AppFailure('HOST_UNREACHABLE', 'stand-in: no NAS here');
    if (how === 1) throw new TypeError('stand-in: a bug');
    if (how === 2) return Promise.reject(new Error('stand-in: a rejected promise'));
    if (how === 3) return { unexpected: 10n };
    if (how === 4) return new Promise((resolve) => setTimeout(() => resolve(undefined), r.int(50)));
    return undefined;
  };
  return Object.fromEntries(verbNames.map((verb) => [verb, storeOnlyVerbs.has(verb) ? real[verb] : misbehaving])) as unknown as Handlers;
}

let root: string;
let core: Core;
let bridge: RunningBridge;
const escaped: unknown[] = [];
const recordEscaped = (error: unknown) => escaped.push(error);

function openClient(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/rpc`, [bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}`], { origin: bridge.origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends messages and waits until each well-formed one is answered or the bridge closes the connection. */
async function sendMessages(messages: string[]): Promise<void> {
  const ws = await openClient();
  ws.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    let answers = 0;
    const timer = setTimeout(resolve, 3000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    ws.on('message', () => {
      if (++answers >= messages.length) done();
    });
    ws.on('close', done);
    for (const message of messages) ws.send(message);
  });
  ws.terminate();
}

async function sendFrames(frames: Buffer[]): Promise<void> {
  const attacker = await rawWebSocket(bridge.port, bridge.token);
  for (const bytes of frames) attacker.send(bytes);
  await Promise.race([attacker.closed, new Promise((resolve) => setTimeout(resolve, 300))]);
  attacker.socket.destroy();
}

async function sendOversized(size: number): Promise<void> {
  const ws = await openClient();
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.send(JSON.stringify({ id: 1, verb: 'saveConnection', request: { name: 'x'.repeat(size), host: 'nas' } }));
  expect(await closed, 'an oversized message closes its connection with 1009').toBe(1009);
}

async function run(testCase: Case): Promise<void> {
  if (testCase.kind === 'http' || testCase.kind === 'upgrade') await rawExchange(bridge.port, testCase.bytes, 300);
  else if (testCase.kind === 'frames') await sendFrames(testCase.frames);
  else if (testCase.kind === 'messages') await sendMessages(testCase.messages);
  else await sendOversized(testCase.size);
}

async function ping(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(JSON.parse(data.toString()));
    });
    ws.send(JSON.stringify({ id: 424242, verb: 'ping', request: { message: 'alive' } }));
  });
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-bridge-fuzz-'));
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(rendererDir, { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  core = createCore({
    store: openConfStore(path.join(root, 'config')),
    configDir: path.join(root, 'config'),
    versions: { app: '0.0.0-test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  });
  const handlers = fuzzHandlers(core.handlers, generator(seed ^ 0x5eed));
  bridge = await startBridge({ core: { call: (verb, request, caller) => dispatch(handlers, verb, request, caller), connectClient: core.connectClient }, rendererDir });
  process.on('uncaughtException', recordEscaped);
  process.on('unhandledRejection', recordEscaped);
});
afterAll(async () => {
  process.off('uncaughtException', recordEscaped);
  process.off('unhandledRejection', recordEscaped);
  await bridge.close();
  await core.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe(`bridge fuzz (seed ${seed}, ${cases} cases; replay with ZRD_FUZZ_SEED=${seed})`, () => {
  it('no input stops the bridge, and it still answers everyone at the end', { timeout: 120_000 }, async () => {
    const r = generator(seed);
    const all = Array.from({ length: cases }, () => randomCase(r, bridge.port, bridge.token));
    const bystander = await openClient();
    const counts: Record<string, number> = {};
    const batch = 6;
    for (let start = 0; start < all.length; start += batch) {
      const slice = all.slice(start, start + batch);
      await Promise.all(slice.map((testCase) => run(testCase)));
      for (const testCase of slice) counts[testCase.kind] = (counts[testCase.kind] ?? 0) + 1;
      if (escaped.length > 0) {
        throw new Error(
          `An error escaped the bridge at cases ${start}..${start + slice.length - 1} (seed ${seed}): ${String(escaped[0])}\n` +
            `cases: ${JSON.stringify(slice, (_key, value: unknown) => (typeof value === 'string' && value.length > 300 ? `${value.slice(0, 300)}…` : value)).slice(0, 4000)}`,
        );
      }
    }
    expect(counts.http! + counts.upgrade! + counts.frames! + counts.messages! + counts.oversized!).toBe(cases);

    // Still answering: the client that was there all along, a new one, and the HTTP side.
    expect(await ping(bystander)).toMatchObject({ id: 424242, result: { ok: true, value: { message: 'alive' } } });
    const fresh = await openClient();
    expect(await ping(fresh)).toMatchObject({ result: { ok: true } });
    fresh.close();
    bystander.close();
    const page = await rawExchange(bridge.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${bridge.port}\r\nConnection: close\r\n\r\n`);
    expect(page.response).toMatch(/^HTTP\/1\.1 200/);
    expect(escaped).toEqual([]);
  });
});
