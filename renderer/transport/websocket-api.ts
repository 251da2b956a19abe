import {
  bridgeProtocol,
  bridgeTokenPrefix,
  eventNames,
  isEventName,
  verbNames,
  type Api,
  type BridgeServerMessage,
  type EventName,
} from '../../shared/contract.ts';
import { fail, type Result } from '../../shared/result.ts';

// The browser side of the loopback bridge: the same Api as window.api in Electron, over one WebSocket.
// The per-run token arrives in the URL fragment (never sent to a server), is kept for this tab only, and
// the fragment is removed from the address bar.

const tokenKey = 'zrd.bridge-token';

function takeToken(): string {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match?.[1]) {
    sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]));
    history.replaceState(null, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(tokenKey) ?? '';
}

export function createWebSocketApi(): Api {
  const token = takeToken();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>(eventNames.map((name) => [name, new Set()]));
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;

  const closedResult = () =>
    fail('TRANSPORT_CLOSED', 'The connection to the app backend was lost.', 'Make sure the app is still running, then reload this page.');

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = new Promise((resolve, reject) => {
      const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/rpc`;
      const ws = new WebSocket(url, [bridgeProtocol, `${bridgeTokenPrefix}${token}`]);
      ws.onopen = () => {
        socket = ws;
        resolve(ws);
      };
      ws.onerror = () => reject(new Error('bridge connection failed'));
      ws.onclose = () => {
        socket = null;
        opened = null;
        for (const settle of pending.values()) settle(closedResult());
        pending.clear();
      };
      ws.onmessage = (message) => {
        const data = JSON.parse(String(message.data)) as BridgeServerMessage;
        if ('id' in data) {
          pending.get(data.id)?.(data.result);
          pending.delete(data.id);
        } else if (isEventName(data.event)) {
          for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
        }
      };
    });
    opened.catch(() => {
      opened = null;
    });
    return opened;
  };

  const call = async (verb: string, request: unknown): Promise<Result<unknown>> => {
    let ws: WebSocket;
    try {
      ws = socket ?? (await connect());
    } catch {
      return token
        ? closedResult()
        : fail('FORBIDDEN', 'This page was opened without its access token.', 'Open the full address the app printed when it started (it ends with #token=...).');
    }
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, verb, request }));
    });
  };

  const api: Record<string, unknown> = {};
  for (const verb of verbNames) api[verb] = (request: unknown) => call(verb, request);
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    listeners.get(event)?.add(listener);
    void connect().catch(() => undefined);
    return () => listeners.get(event)?.delete(listener);
  };
  return api as Api;
}
