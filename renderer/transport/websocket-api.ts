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
import { oversizedMessage } from '../../shared/bridge-limits.ts';
import { fail, type Result } from '../../shared/result.ts';
import { bridgeSessionToken } from './bridge-session.ts';

// The browser side of the loopback bridge: the same Api as window.api in Electron, over one WebSocket.
// The per-run token comes from bridge-session.ts (a one-time code in the address, traded once).

export function createWebSocketApi(): Api {
  const session = bridgeSessionToken();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>(eventNames.map((name) => [name, new Set()]));
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opened: Promise<WebSocket> | null = null;

  const closedResult = () =>
    fail('TRANSPORT_CLOSED', 'The connection to the app backend was lost.', 'Make sure the app is still running, then reload this page.');

  const connect = (): Promise<WebSocket> => {
    if (opened) return opened;
    opened = session.then((token) => new Promise<WebSocket>((resolve, reject) => {
      if (!token.ok) return reject(new Error(token.error.message));
      const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/rpc`;
      const ws = new WebSocket(url, [bridgeProtocol, `${bridgeTokenPrefix}${token.value}`]);
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
    }));
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
      const token = await session;
      return token.ok ? closedResult() : token;
    }
    const id = nextId++;
    const message = JSON.stringify({ id, verb, request });
    // The bridge drops a connection that sends more than it accepts: refuse here, with a message that says why.
    const tooLarge = oversizedMessage(message);
    if (tooLarge) return tooLarge;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      ws.send(message);
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
