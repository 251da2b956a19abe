import { randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { bridgeMaxMessageBytes, bridgeMaxSessionBodyBytes, bridgeSessionPath } from '../../shared/bridge-limits.ts';
import { bridgeProtocol, bridgeTokenPrefix, type BridgeClientMessage, type BridgeServerMessage } from '../../shared/contract.ts';
import { contentSecurityPolicy, headerOnlyDirectives } from '../../shared/content-security-policy.ts';
import { toAppError, type Result } from '../../shared/result.ts';
import type { Core } from '../services/core.ts';
import type { EventClient } from '../services/events/event-hub.ts';
import { LaunchCodes } from './launch-codes.ts';
import { writeLauncherFile, type LauncherFile } from './launcher-file.ts';
import { openStaticFile, rendererRoot } from './static-files.ts';

// The loopback bridge: the same services as the Electron main process, reachable from a plain browser.
// It listens on 127.0.0.1 only and trusts only that address: a WebSocket must carry the per-run token and come
// from http://127.0.0.1:PORT, and every HTTP request must name that host (a DNS-rebinding page cannot; nor can a
// page served from [::1]:PORT, which another local user could bind, since we do not listen there).
// The token reaches a page only through a one-time code (see launch-codes.ts) or from whoever started the bridge
// and read it from --json on a pipe. Nothing a client sends can stop the process: every parse is guarded, a
// connection that sends an oversized or malformed frame is dropped, and everyone else carries on.

export interface BridgeOptions {
  /** The verbs (through the dispatcher) and the event clients (one per connection) the bridge carries. */
  core: Pick<Core, 'call' | 'connectClient'>;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 32 random bytes. */
  token?: string;
  /** How long a one-time launch code stays usable; default 10 minutes. */
  launchCodeTtlMs?: number;
}

export interface RunningBridge {
  port: number;
  origin: string;
  /** The session token: for programs that started the bridge (read from --json on a pipe), never for an address. */
  token: string;
  /** A fresh one-time address (`${origin}/#code=…`): the page trades the code for the token once. */
  issueLaunchUrl(): string;
  /**
   * Writes a 0600 launcher page in a private 0700 folder that opens a fresh one-time address, for a browser's
   * command line. The page is deleted once its code is used or expires, and when the bridge closes.
   */
  writeLauncher(): LauncherFile;
  close(): Promise<void>;
}

const defaultLaunchCodeTtlMs = 10 * 60_000;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The path of a request target, or null when it is not an origin-form path ("/…"); never throws. */
export function requestPathname(target: string | undefined): string | null {
  if (!target || !target.startsWith('/') || target.startsWith('//')) return null;
  try {
    return decodeURIComponent(new URL(target, 'http://127.0.0.1').pathname);
  } catch {
    return null;
  }
}

/** A client message with a usable id, or null (malformed: the connection is dropped). */
function parseClientMessage(data: RawData, isBinary: boolean): BridgeClientMessage | null {
  if (isBinary) return null;
  try {
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const message: unknown = JSON.parse(text);
    if (typeof message !== 'object' || message === null || Array.isArray(message)) return null;
    const { id, verb, request } = message as Record<string, unknown>;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return null;
    return { id, verb: verb as string, request };
  } catch {
    return null;
  }
}

function refuseRawSocket(socket: Duplex, status: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const root = rendererRoot(options.rendererDir);
  const codes = new LaunchCodes(options.launchCodeTtlMs ?? defaultLaunchCodeTtlMs);
  let port = 0;
  const host = () => `127.0.0.1:${port}`;
  const origin = () => `http://${host()}`;

  const securityHeaders = {
    'Content-Security-Policy': `${contentSecurityPolicy}; ${headerOnlyDirectives}`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };

  const reply = (response: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8') => {
    if (response.headersSent) return void response.destroy();
    response.writeHead(status, { ...securityHeaders, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  };
  const replyJson = (response: ServerResponse, status: number, value: unknown) =>
    reply(response, status, JSON.stringify(value), 'application/json; charset=utf-8');

  const serveStatic = (request: IncomingMessage, response: ServerResponse, pathname: string) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, 'Method not allowed.');
    const file = openStaticFile(root, pathname);
    if (!file) return reply(response, 404, 'Not found.');
    response.writeHead(200, { ...securityHeaders, 'Content-Type': file.contentType, 'Content-Length': file.size });
    if (request.method === 'HEAD') {
      closeSync(file.fd);
      return void response.end();
    }
    const stream = createReadStream('', { fd: file.fd });
    stream.on('error', () => response.destroy());
    response.on('close', () => stream.destroy());
    stream.pipe(response);
  };

  /** POST /session {"code": "…"}: a page trades the one-time code from its address for the token. */
  const redeemSession = (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'POST') return reply(response, 405, 'Method not allowed.');
    // Only our own page may redeem a code (another site's page cannot even spend it).
    if (request.headers.origin !== origin()) return replyJson(response, 403, { message: 'This page may not open a session.' });
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) return replyJson(response, 415, { message: 'Send the code as JSON.' });
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= bridgeMaxSessionBodyBytes) return void chunks.push(chunk);
      if (response.headersSent) return;
      // Answer at once and close the connection after the answer; the rest of the body is read and dropped.
      response.setHeader('Connection', 'close');
      replyJson(response, 413, { message: 'Request too large.' });
    });
    request.on('end', () => {
      if (size > bridgeMaxSessionBodyBytes) return;
      let code: unknown;
      try {
        code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown } | null)?.code;
      } catch {
        return replyJson(response, 400, { message: 'The request is not valid JSON.' });
      }
      if (!codes.redeem(code)) {
        return replyJson(response, 401, {
          message: 'This address was already used or has expired (each one opens the app once, within a few minutes).',
        });
      }
      replyJson(response, 200, { token });
    });
    request.on('error', () => response.destroy());
  };

  const handleHttp = (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers.host !== host()) return reply(response, 421, 'Wrong Host header.');
    const pathname = requestPathname(request.url);
    if (pathname === null) return reply(response, 400, 'Bad path.');
    if (pathname === bridgeSessionPath) return redeemSession(request, response);
    serveStatic(request, response, pathname);
  };

  const server = createServer((request, response) => {
    try {
      handleHttp(request, response);
    } catch {
      // Nothing a request carries should get here; if it does, that request fails and the bridge stays up.
      try {
        reply(response, 500, 'Internal error.');
      } catch {
        response.destroy();
      }
    }
  });
  server.on('clientError', (_error, socket: Duplex) => refuseRawSocket(socket, '400 Bad Request'));

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: bridgeMaxMessageBytes,
    handleProtocols: (protocols) => (protocols.has(bridgeProtocol) ? bridgeProtocol : false),
  });

  /** Why an upgrade request is refused (an HTTP status line), or null when it may connect. */
  const upgradeRefusal = (request: IncomingMessage): string | null => {
    if (requestPathname(request.url) !== '/rpc') return '404 Not Found';
    if (request.headers.host !== host()) return '421 Misdirected Request';
    if (request.headers.origin !== origin()) return '403 Forbidden';
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const presented = offered.find((p) => p.startsWith(bridgeTokenPrefix))?.slice(bridgeTokenPrefix.length) ?? '';
    if (!offered.includes(bridgeProtocol) || !sameSecret(presented, token)) return '401 Unauthorized';
    return null;
  };

  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      const refused = upgradeRefusal(request);
      if (refused) return refuseRawSocket(socket, refused);
      sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
    } catch {
      refuseRawSocket(socket, '400 Bad Request');
    }
  });

  const send = (ws: WebSocket, message: BridgeServerMessage) => {
    if (ws.readyState !== ws.OPEN) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch (error) {
      // A value that cannot be serialised still answers its caller, as an error.
      if (!('id' in message)) return;
      text = JSON.stringify({ id: message.id, result: { ok: false, error: toAppError(error) } });
    }
    ws.send(text, (error) => {
      if (error) ws.terminate();
    });
  };

  const answer = async (ws: WebSocket, client: EventClient, message: BridgeClientMessage) => {
    let result: Result<unknown>;
    try {
      result = await options.core.call(message.verb, message.request, { client });
    } catch (error) {
      result = { ok: false, error: toAppError(error) };
    }
    send(ws, { id: message.id, result });
  };

  sockets.on('connection', (ws: WebSocket) => {
    // This connection's events: app events, and the runs and log tails it subscribed to.
    const client = options.core.connectClient((event, payload) => send(ws, { event, payload }));
    ws.once('close', () => client.close());
    // ws closes the connection itself on a protocol error (oversized, invalid UTF-8, unmasked, reserved bits,
    // unknown opcode, bad close code) and reports it here; without this listener the error would end the process.
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      const message = parseClientMessage(data, isBinary);
      if (!message) return void ws.close(1003, 'Malformed message');
      void answer(ws, client, message);
    });
  });
  sockets.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  port = (server.address() as AddressInfo).port;
  const launchUrl = (code: string) => `${origin()}/#code=${code}`;
  const launchers = new Set<LauncherFile>();

  return {
    port,
    origin: origin(),
    token,
    issueLaunchUrl: () => launchUrl(codes.issue()),
    writeLauncher: () => {
      let launcher: LauncherFile | null = null;
      const code = codes.issue(() => {
        launcher?.remove();
        if (launcher) launchers.delete(launcher);
      });
      launcher = writeLauncherFile(launchUrl(code));
      launchers.add(launcher);
      return launcher;
    },
    close: async () => {
      codes.clear();
      for (const launcher of launchers) launcher.remove();
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
