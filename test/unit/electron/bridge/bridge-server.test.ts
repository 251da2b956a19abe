import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  writeFileSync(path.join(root, 'secret.txt'), 'outside the renderer');
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

function get(pathname: string, host = `127.0.0.1:${bridge.port}`): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: bridge.port, path: pathname, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('loopback bridge: HTTP side', () => {
  it('listens on 127.0.0.1 only and hands out a URL with the token in the fragment', () => {
    expect(bridge.origin).toBe(`http://127.0.0.1:${bridge.port}`);
    expect(bridge.url).toBe(`${bridge.origin}/#token=${bridge.token}`);
    expect(bridge.token.length).toBeGreaterThanOrEqual(40);
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
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const response = await get(attempt);
      expect(response.status, attempt).toBe(404);
      expect(response.body).not.toContain('outside the renderer');
    }
  });

  it('refuses a request naming another host (DNS rebinding)', async () => {
    expect((await get('/', `attacker.example:${bridge.port}`)).status).toBe(421);
    expect((await get('/', 'localhost:1')).status).toBe(421);
    expect((await get('/', `localhost:${bridge.port}`)).status).toBe(200);
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
