import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startBridge, type RunningBridge } from '../../../../electron/bridge/bridge-server.ts';
import { createCore, type Core } from '../../../../electron/services/core.ts';
import { openConfStore } from '../../../../electron/services/store/open-conf-store.ts';
import { bridgeProtocol, bridgeTokenPrefix } from '../../../../shared/contract.ts';

let root: string;
let bridge: RunningBridge;
let core: Core;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-bridge-'));
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(rendererDir, 'assets', 'app.js.map'), '{"sources":["secret source"]}');
  writeFileSync(path.join(root, 'secret.txt'), 'outside the renderer');
  mkdirSync(path.join(root, 'elsewhere'));
  writeFileSync(path.join(root, 'elsewhere', 'notes.txt'), 'outside the renderer');
  // Links planted inside the renderer folder: to a file outside, to a folder outside, and even to a file inside.
  symlinkSync(path.join(root, 'secret.txt'), path.join(rendererDir, 'leak.txt'));
  symlinkSync(path.join(root, 'elsewhere'), path.join(rendererDir, 'linked'));
  symlinkSync(path.join(rendererDir, 'assets', 'app.js'), path.join(rendererDir, 'alias.js'));
  core = createCore({
    store: openConfStore(path.join(root, 'config')),
    configDir: path.join(root, 'config'),
    versions: { app: '0.0.0-test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  });
  bridge = await startBridge({ core, rendererDir });
});
afterAll(async () => {
  await bridge.close();
  await core.dispose();
  rmSync(root, { recursive: true, force: true });
});

type Reply = { status: number; headers: Record<string, unknown>; body: string };

function httpRequest(method: string, pathname: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, method, path: pathname, headers }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(pathname: string, host = `127.0.0.1:${bridge.port}`): Promise<Reply> {
  return httpRequest('GET', pathname, { host });
}

function redeem(code: string, headers: Record<string, string> = {}): Promise<Reply> {
  return httpRequest('POST', '/session', { host: `127.0.0.1:${bridge.port}`, origin: bridge.origin, 'content-type': 'application/json', ...headers }, JSON.stringify({ code }));
}

const codeOf = (launchUrl: string) => /#code=([\w-]+)$/.exec(launchUrl)![1]!;

describe('loopback bridge: HTTP side', () => {
  it('listens on 127.0.0.1 only and hands out one-time addresses that do not carry the token', () => {
    expect(bridge.origin).toBe(`http://127.0.0.1:${bridge.port}`);
    expect(bridge.token.length).toBeGreaterThanOrEqual(40);
    const first = bridge.issueLaunchUrl();
    expect(first).toMatch(new RegExp(`^${bridge.origin}/#code=[\\w-]{40,}$`));
    expect(first).not.toContain(bridge.token);
    expect(bridge.issueLaunchUrl()).not.toBe(first);
  });

  it('serves the renderer with a strict CSP and nosniff', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<title>t</title>');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    const script = await get('/assets/app.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/assets%00/app.js']) {
      const response = await get(attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('outside the renderer');
    }
  });

  it('never follows a symlink inside the renderer folder, wherever it points', async () => {
    for (const attempt of ['/leak.txt', '/linked/notes.txt', '/alias.js']) {
      const response = await get(attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('outside the renderer');
    }
  });

  it('never serves source maps', async () => {
    for (const attempt of ['/assets/app.js.map', '/assets/app.js.MAP']) {
      const response = await get(attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('secret source');
    }
  });

  it('refuses a request naming another host (DNS rebinding), localhost included', async () => {
    expect((await get('/', `attacker.example:${bridge.port}`)).status).toBe(421);
    expect((await get('/', 'localhost:1')).status).toBe(421);
    // It listens on 127.0.0.1 only: "localhost" may resolve to [::1]:PORT, which another local user can bind.
    expect((await get('/', `localhost:${bridge.port}`)).status).toBe(421);
    expect((await get('/', `[::1]:${bridge.port}`)).status).toBe(421);
    expect((await get('/', `127.0.0.1:${bridge.port}`)).status).toBe(200);
  });
});

describe('loopback bridge: one-time codes', { timeout: 30_000 }, () => {
  it('trades a code for the token once, from our own page only', async () => {
    const code = codeOf(bridge.issueLaunchUrl());
    expect((await redeem(code, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await redeem(code, { origin: `http://localhost:${bridge.port}` })).status).toBe(403);
    expect((await redeem(code, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await redeem(code, { host: `localhost:${bridge.port}` })).status).toBe(421);
    const first = await redeem(code);
    expect(first.status).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(first.body)).toEqual({ token: bridge.token });
    const again = await redeem(code);
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body).message).toContain('already used or has expired');
  });

  it('refuses made-up codes, bad bodies and oversized bodies', async () => {
    for (const code of ['', 'x', bridge.token, 'a'.repeat(300)]) expect((await redeem(code)).status, code).toBe(401);
    const headers = { host: `127.0.0.1:${bridge.port}`, origin: bridge.origin, 'content-type': 'application/json' };
    expect((await httpRequest('POST', '/session', headers, '{not json')).status).toBe(400);
    expect((await httpRequest('POST', '/session', headers, 'null')).status).toBe(401);
    expect((await httpRequest('POST', '/session', headers, JSON.stringify({ code: 'x'.repeat(5000) }))).status).toBe(413);
    expect((await httpRequest('GET', '/session', headers)).status).toBe(405);
  });

  it('writes a launcher page only this user can read, which opens a one-time address and is removed once used', async () => {
    const launcher = bridge.writeLauncher();
    expect(launcher.fileUrl).toBe(`file://${launcher.path}`);
    expect(launcher.fileUrl).not.toContain(bridge.token);
    expect(statSync(launcher.path).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(launcher.path)).mode & 0o777).toBe(0o700);
    const page = readFileSync(launcher.path, 'utf8');
    expect(page).not.toContain(bridge.token);
    const url = /location\.replace\("([^"]+)"\)/.exec(page)![1]!;
    expect(url.startsWith(`${bridge.origin}/#code=`)).toBe(true);
    expect((await redeem(codeOf(url))).status).toBe(200);
    expect(existsSync(launcher.path)).toBe(false);
    expect(existsSync(path.dirname(launcher.path))).toBe(false);
  });
});

function connect(protocols: string[], origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${bridge.port}/rpc`, protocols, { origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(String(res.statusCode))));
    ws.once('error', reject);
  });
}

describe('loopback bridge: WebSocket side', () => {
  it('requires the token, our protocol and our origin', async () => {
    await expect(connect([bridgeProtocol], bridge.origin)).rejects.toThrow('401');
    await expect(connect([bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}x`], bridge.origin)).rejects.toThrow('401');
    await expect(connect([`${bridgeTokenPrefix}${bridge.token}`], bridge.origin)).rejects.toThrow('401');
    await expect(connect([bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}`], 'null')).rejects.toThrow('403');
    const ws = await connect([bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}`], bridge.origin);
    expect(ws.protocol).toBe(bridgeProtocol);
    ws.close();
  });

  it('answers a call with its id and closes on a malformed message', async () => {
    const ws = await connect([bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}`], bridge.origin);
    const reply = new Promise<unknown>((resolve) => ws.once('message', (data) => resolve(JSON.parse(data.toString()))));
    ws.send(JSON.stringify({ id: 7, verb: 'ping', request: { message: 'x' } }));
    expect(await reply).toMatchObject({ id: 7, result: { ok: true, value: { message: 'x' } } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('not json');
    expect(await closed).toBe(1003);
  });

  it("delivers a run's events only to the connections subscribed to it; app events to all", async () => {
    const open = () => connect([bridgeProtocol, `${bridgeTokenPrefix}${bridge.token}`], bridge.origin);
    const [dashboard, other] = [await open(), await open()];
    const received = (ws: WebSocket) => {
      const got: Array<{ id?: number; event?: string }> = [];
      ws.on('message', (data) => got.push(JSON.parse(data.toString())));
      return got;
    };
    const [toDashboard, toOther] = [received(dashboard), received(other)];
    dashboard.send(JSON.stringify({ id: 1, verb: 'subscribeRuns', request: {} }));
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 500 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    };
    await until(() => toDashboard.some((m) => m.id === 1));
    const runId = '00000000-0000-4000-8000-000000000001';
    core.bus.emit('runLog', { runId, taskId: 't', at: 'now', level: 'info', message: 'sending' });
    core.bus.emit('connectionsChanged', { connections: [] });
    await until(() => toOther.some((m) => m.event === 'connectionsChanged') && toDashboard.some((m) => m.event === 'connectionsChanged'));
    expect(toDashboard.filter((m) => m.event).map((m) => m.event)).toEqual(['runLog', 'connectionsChanged']);
    expect(toOther.filter((m) => m.event).map((m) => m.event)).toEqual(['connectionsChanged']);
    dashboard.close();
    other.close();
  });
});
