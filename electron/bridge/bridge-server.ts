import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { bridgeProtocol, bridgeTokenPrefix, type BridgeClientMessage, type BridgeServerMessage } from '../../shared/contract.ts';
import { contentSecurityPolicy, headerOnlyDirectives } from '../../shared/content-security-policy.ts';
import type { Core } from '../services/core.ts';

// The loopback bridge: the same services as the Electron main process, reachable from a plain browser.
// It listens on 127.0.0.1 only; a WebSocket must carry the per-run token and come from our own origin, and
// every HTTP request must name our host (a DNS-rebinding page cannot).

export interface BridgeOptions {
  core: Core;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Defaults to 32 random bytes. */
  token?: string;
}

export interface RunningBridge {
  port: number;
  origin: string;
  token: string;
  /** The address to open: the token rides in the fragment, which browsers never send to a server. */
  url: string;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const maxMessageBytes = 1024 * 1024;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export async function startBridge(options: BridgeOptions): Promise<RunningBridge> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const securityHeaders = {
    'Content-Security-Policy': `${contentSecurityPolicy}; ${headerOnlyDirectives}`,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };

  const serveStatic = (request: IncomingMessage, response: ServerResponse) => {
    const reply = (status: number, text: string) => {
      response.writeHead(status, { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(text);
    };
    if (!allowedHosts().has(request.headers.host ?? '')) return reply(421, 'Wrong Host header.');
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'Method not allowed.');
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    } catch {
      return reply(400, 'Bad path.');
    }
    if (pathname === '/') pathname = '/index.html';
    const filePath = path.resolve(rendererDir, `.${pathname}`);
    if (!filePath.startsWith(rendererDir + path.sep)) return reply(404, 'Not found.');
    let size: number;
    try {
      const stats = statSync(filePath);
      if (!stats.isFile()) return reply(404, 'Not found.');
      size = stats.size;
    } catch {
      return reply(404, 'Not found.');
    }
    response.writeHead(200, {
      ...securityHeaders,
      'Content-Type': contentTypes[path.extname(filePath)] ?? 'application/octet-stream',
      'Content-Length': size,
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(filePath).pipe(response);
  };

  const server = createServer(serveStatic);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: maxMessageBytes,
    handleProtocols: (protocols) => (protocols.has(bridgeProtocol) ? bridgeProtocol : false),
  });

  server.on('upgrade', (request, socket, head) => {
    const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const presented = offered.find((p) => p.startsWith(bridgeTokenPrefix))?.slice(bridgeTokenPrefix.length) ?? '';
    const refused =
      new URL(request.url ?? '/', 'http://x').pathname !== '/rpc'
        ? '404 Not Found'
        : !allowedHosts().has(request.headers.host ?? '')
          ? '421 Misdirected Request'
          : !allowedOrigins().has(request.headers.origin ?? '')
            ? '403 Forbidden'
            : !offered.includes(bridgeProtocol) || !sameSecret(presented, token)
              ? '401 Unauthorized'
              : null;
    if (refused) {
      socket.end(`HTTP/1.1 ${refused}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit('connection', ws, request));
  });

  const send = (ws: WebSocket, message: BridgeServerMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };

  sockets.on('connection', (ws: WebSocket) => {
    // This connection's events: app events, and the runs and log tails it subscribed to.
    const client = options.core.connectClient((event, payload) => send(ws, { event, payload }));
    ws.once('close', () => client.close());
    ws.on('message', async (data) => {
      let message: BridgeClientMessage;
      try {
        message = JSON.parse(data.toString()) as BridgeClientMessage;
        if (typeof message !== 'object' || message === null || typeof message.id !== 'number') throw new Error('no id');
      } catch {
        ws.close(1003, 'Malformed message');
        return;
      }
      send(ws, { id: message.id, result: await options.core.call(message.verb, message.request, { client }) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    port,
    origin,
    token,
    url: `${origin}/#token=${token}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
