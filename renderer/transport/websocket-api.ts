import {
  bridgeProtocol,
  bridgeTokenPrefix,
  eventNames,
  isEventName,
  verbNames,
  type Api,
  type BridgeServerMessage,
  type EventName,
  type TransportState,
  type VerbName,
} from '../../shared/contract.ts';
import { oversizedMessage } from '../../shared/bridge-limits.ts';
import { fail, type Result } from '../../shared/result.ts';
import { bridgeSessionToken } from './bridge-session.ts';

// The browser side of the loopback bridge: the same Api as window.api in Electron, over one WebSocket.
// - Every request has a timeout (a backend that stopped answering does not hang the UI).
// - A lost connection is reconnected with backoff (0.5 s doubling to 30 s, with jitter); the UI hears
//   online/offline through api.onTransportState (the shell shows a bar).
// - Run subscriptions and log tails live on the server per connection: they are made again after a reconnect.
// The per-run token comes from bridge-session.ts (a one-time code in the address, traded once).

const noToken = () =>
  fail('FORBIDDEN', 'This page was opened without its access token.', 'Open the address the app printed when it started (each one works once; press Enter in its terminal for a new one).');

/**
 * Verbs the app answers by itself (settings, the store, run bookkeeping) get the short timeout. Every other verb may
 * wait for a NAS or a whole run, and gets the long one: a verb added later is slow until listed here, because a
 * short timeout on a slow verb is worse (the pre-flight test of a loaded NAS took over 30 s and ended as an error
 * while its checks all passed) than a long one on a fast verb.
 */
export const localVerbs: ReadonlySet<VerbName> = new Set<VerbName>([
  'ping',
  'getVersion',
  'getStoreStatus',
  'getSettings',
  'updateSettings',
  'listConnections',
  'saveConnection',
  'removeConnection',
  'getAppKey',
  'zfsAllowCommands',
  'listTasks',
  'saveTask',
  'removeTask',
  'cancelTask',
  'listRuns',
  'startRun',
  'cancelRun',
  'getRun',
  'listActiveRuns',
  'subscribeRuns',
  'unsubscribeRuns',
  'readTaskLog',
  'tailTaskLog',
  'untailTaskLog',
  'listSnapshotTasks',
  'saveSnapshotTask',
  'removeSnapshotTask',
  'exportConfig',
  'planImport',
  'importConfig',
  'schedulerStatus',
]);

export interface WebSocketApiOptions {
  /** ws://host/rpc; default: this page's host. */
  url?: string;
  /** Default: this tab's session token (bridge-session.ts). */
  token?: string;
  /** Default: the browser's WebSocket. */
  WebSocket?: typeof WebSocket;
  /** A request without an answer after this long fails with TIMEOUT. Default 30 s for local verbs, 30 min for the rest. */
  timeoutMs?: number;
  slowTimeoutMs?: number;
  /** Reconnect delays: first, then doubled up to max (each with up to 20% jitter). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

type Pending = { settle: (result: Result<unknown>) => void; timer: ReturnType<typeof setTimeout> };

export function createWebSocketApi(options: WebSocketApiOptions = {}): Api {
  const session: Promise<Result<string>> = options.token !== undefined ? Promise.resolve(options.token ? { ok: true, value: options.token } : noToken()) : bridgeSessionToken();
  const url = options.url ?? `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/rpc`;
  const Socket = options.WebSocket ?? WebSocket;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const slowTimeoutMs = options.slowTimeoutMs ?? 30 * 60_000;
  const reconnectMinMs = options.reconnectMinMs ?? 500;
  const reconnectMaxMs = options.reconnectMaxMs ?? 30_000;

  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>(eventNames.map((name) => [name, new Set()]));
  const stateListeners = new Set<(state: TransportState) => void>();
  /** Server-side state of this connection, made again after a reconnect: run subscriptions, log tails (with their offset). */
  const runSubscriptions = new Set<string>();
  const tails = new Map<string, number | undefined>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let opening: Promise<WebSocket> | null = null;
  let everConnected = false;
  let attempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  let state: TransportState = { status: 'connecting', since: new Date().toISOString(), reconnectInMs: null, reason: null };

  const setState = (next: Omit<TransportState, 'since'>) => {
    if (next.status === state.status && next.reconnectInMs === state.reconnectInMs && next.reason === state.reason) return;
    state = { ...next, since: next.status !== state.status ? new Date().toISOString() : state.since };
    for (const listener of stateListeners) listener(state);
  };

  const closedResult = () => fail('TRANSPORT_CLOSED', 'The connection to the app backend was lost.', 'Make sure the app is still running; the page reconnects by itself (reload it if the app was restarted).');

  const scheduleReconnect = (reason: string) => {
    if (reconnectTimer) return;
    const base = Math.min(reconnectMaxMs, reconnectMinMs * 2 ** attempt);
    const delay = Math.round(base * (1 + Math.random() * 0.2));
    attempt++;
    setState({ status: 'offline', reconnectInMs: delay, reason });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      void connect().catch(() => undefined);
    }, delay);
  };

  const send = (ws: WebSocket, id: number, verb: string, request: unknown) => ws.send(JSON.stringify({ id, verb, request }));

  /** Subscriptions and tails are per connection on the server: a new connection asks for them again. */
  const restore = (ws: WebSocket) => {
    for (const runId of runSubscriptions) send(ws, nextId++, 'subscribeRuns', runId === '*' ? {} : { runId });
    for (const [taskId, offset] of tails) send(ws, nextId++, 'tailTaskLog', offset === undefined ? { taskId } : { taskId, offset });
  };

  const connect = (): Promise<WebSocket> => {
    if (socket) return Promise.resolve(socket);
    if (opening) return opening;
    opening = session.then((token) => new Promise<WebSocket>((resolve, reject) => {
      if (!token.ok) {
        opening = null;
        return reject(new Error(token.error.message));
      }
      const ws = new Socket(url, [bridgeProtocol, `${bridgeTokenPrefix}${token.value}`]);
      let opened = false;
      ws.onopen = () => {
        opened = true;
        socket = ws;
        opening = null;
        attempt = 0;
        if (everConnected) restore(ws);
        everConnected = true;
        setState({ status: 'online', reconnectInMs: null, reason: null });
        resolve(ws);
      };
      ws.onclose = (event) => {
        const wasOpen = opened;
        if (socket === ws) socket = null;
        if (opening && !opened) opening = null;
        for (const { settle, timer } of pending.values()) {
          clearTimeout(timer);
          settle(closedResult());
        }
        pending.clear();
        if (!wasOpen) reject(new Error('bridge connection failed'));
        scheduleReconnect(wasOpen ? `closed${event.reason ? `: ${event.reason}` : ''}` : 'could not connect');
      };
      ws.onerror = () => undefined;
      ws.onmessage = (message) => {
        let data: BridgeServerMessage;
        try {
          data = JSON.parse(String(message.data)) as BridgeServerMessage;
        } catch {
          return;
        }
        if ('id' in data) {
          const entry = pending.get(data.id);
          if (!entry) return;
          clearTimeout(entry.timer);
          pending.delete(data.id);
          entry.settle(data.result);
        } else if (isEventName(data.event)) {
          if (data.event === 'taskLog') {
            const chunk = data.payload as { taskId: string; nextOffset: number };
            if (tails.has(chunk.taskId)) tails.set(chunk.taskId, chunk.nextOffset);
          } else if (data.event === 'runFinished') {
            runSubscriptions.delete((data.payload as { run: { runId: string } }).run.runId);
          }
          for (const listener of listeners.get(data.event) ?? []) listener(data.payload);
        }
      };
    }));
    return opening;
  };

  /** What this request means for the connection's server-side state, to make it again after a reconnect. */
  const remember = (verb: string, request: unknown, result: Result<unknown>) => {
    if (!result.ok) return;
    const r = (request ?? {}) as { runId?: string; taskId?: string };
    if (verb === 'subscribeRuns') runSubscriptions.add(r.runId ?? '*');
    else if (verb === 'unsubscribeRuns') runSubscriptions.delete(r.runId ?? '*');
    else if (verb === 'tailTaskLog' && r.taskId) tails.set(r.taskId, (result.value as { offset: number }).offset);
    else if (verb === 'untailTaskLog' && r.taskId) tails.delete(r.taskId);
  };

  const call = async (verb: VerbName, request: unknown): Promise<Result<unknown>> => {
    let ws: WebSocket;
    try {
      ws = await connect();
    } catch {
      const token = await session;
      return token.ok ? closedResult() : token;
    }
    const id = nextId++;
    const message = JSON.stringify({ id, verb, request });
    // The bridge drops a connection that sends more than it accepts: refuse here, with a message that says why.
    const tooLarge = oversizedMessage(message);
    if (tooLarge) return tooLarge;
    const limit = localVerbs.has(verb) ? timeoutMs : slowTimeoutMs;
    const result = await new Promise<Result<unknown>>((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(fail('TIMEOUT', `The app backend did not answer "${verb}" within ${Math.round(limit / 1000)} s.`, 'It may be busy or stuck: try again; if it keeps happening, restart the app.'));
      }, limit);
      pending.set(id, { settle: resolve, timer });
      try {
        ws.send(message);
      } catch {
        clearTimeout(timer);
        pending.delete(id);
        resolve(closedResult());
      }
    });
    remember(verb, request, result);
    return result;
  };

  const api: Record<string, unknown> = {};
  for (const verb of verbNames) api[verb] = (request: unknown) => call(verb, request);
  api.on = (event: EventName, listener: (payload: unknown) => void) => {
    listeners.get(event)?.add(listener);
    void connect().catch(() => undefined);
    return () => listeners.get(event)?.delete(listener);
  };
  api.onTransportState = (listener: (state: TransportState) => void) => {
    stateListeners.add(listener);
    listener(state);
    void connect().catch(() => undefined);
    return () => stateListeners.delete(listener);
  };
  return api as Api;
}
