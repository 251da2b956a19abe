import { isRunEventName, runIdOfEvent, type EventName, type EventPayload } from '../../../shared/contract.ts';
import type { EventBus } from './event-bus.ts';

// Who receives which event. Every transport client (an Electron window, a bridge WebSocket) connects here with
// its own send function. App events (connections, settings, task states, app log) go to every client; a run's
// events only to the clients subscribed to that run or to all runs; client events (a log tail) only to the
// client that asked.

/** Events sent to one client on purpose (client.send), never broadcast. */
export const clientOnlyEventNames: readonly EventName[] = ['taskLog'];

export type EventSender = (name: EventName, payload: unknown) => void;

export interface EventClient {
  readonly id: number;
  /** Receive this run's events (until it finishes), or every run's with 'all'. */
  subscribeRuns(runId: string | 'all'): void;
  /** False when there was no such subscription. */
  unsubscribeRuns(runId: string | 'all'): boolean;
  /** Whether this client gets the run's events now. */
  wants(runId: string): boolean;
  /** An event for this client only. */
  send<E extends EventName>(name: E, payload: EventPayload<E>): void;
  /** Runs `cleanup` when the client goes (closing its log tails); returns a function that cancels it. */
  onClose(cleanup: () => void): () => void;
  close(): void;
}

class HubClient implements EventClient {
  readonly id: number;
  readonly #send: EventSender;
  readonly #runs = new Set<string>();
  readonly #cleanups = new Set<() => void>();
  #allRuns = false;
  #closed = false;
  readonly #onClosed: (client: HubClient) => void;

  constructor(id: number, send: EventSender, onClosed: (client: HubClient) => void) {
    this.id = id;
    this.#send = send;
    this.#onClosed = onClosed;
  }

  subscribeRuns(runId: string | 'all'): void {
    if (runId === 'all') this.#allRuns = true;
    else this.#runs.add(runId);
  }

  unsubscribeRuns(runId: string | 'all'): boolean {
    if (runId !== 'all') return this.#runs.delete(runId);
    const was = this.#allRuns;
    this.#allRuns = false;
    return was;
  }

  wants(runId: string): boolean {
    return this.#allRuns || this.#runs.has(runId);
  }

  send<E extends EventName>(name: E, payload: EventPayload<E>): void {
    this.deliver(name, payload);
  }

  deliver(name: EventName, payload: unknown): void {
    if (this.#closed) return;
    try {
      this.#send(name, payload);
    } catch {
      // A window that went away mid-send: it is closed by its transport.
    }
  }

  /** A run event for whoever wants it; a finished run's own subscription ends with its last event. */
  route(name: EventName, payload: unknown): void {
    const runId = runIdOfEvent(name, payload);
    if (runId === null || !this.wants(runId)) return;
    this.deliver(name, payload);
    if (name === 'runFinished') this.#runs.delete(runId);
  }

  onClose(cleanup: () => void): () => void {
    this.#cleanups.add(cleanup);
    return () => this.#cleanups.delete(cleanup);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const cleanup of this.#cleanups) cleanup();
    this.#cleanups.clear();
    this.#onClosed(this);
  }
}

export class EventHub {
  readonly #clients = new Set<HubClient>();
  readonly #unsubscribe: () => void;
  #nextId = 1;

  constructor(bus: EventBus) {
    this.#unsubscribe = bus.subscribe((name, payload) => {
      if (clientOnlyEventNames.includes(name)) return;
      const run = isRunEventName(name);
      for (const client of this.#clients) {
        if (run) client.route(name, payload);
        else client.deliver(name, payload);
      }
    });
  }

  connect(send: EventSender): EventClient {
    const client = new HubClient(this.#nextId++, send, (closed) => this.#clients.delete(closed));
    this.#clients.add(client);
    return client;
  }

  get size(): number {
    return this.#clients.size;
  }

  dispose(): void {
    for (const client of [...this.#clients]) client.close();
    this.#unsubscribe();
  }
}
