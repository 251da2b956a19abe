import { eventNames, type EventListener, type EventName } from '../../shared/contract.ts';
import { api } from '../api.ts';

// ONE subscription to the backend's events for the whole app: startEventStream() (called once by the shell)
// subscribes to every event name; feature stores register plain functions with onEvent() at module load. So an
// event that arrives while another view is open still reaches its store, and no view subscribes on mount.

const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
let stop: (() => void) | null = null;

/** Registers a store's handler for one event; returns the unregister function (tests use it). */
export function onEvent<E extends EventName>(event: E, listener: EventListener<E>): () => void {
  let set = listeners.get(event);
  if (!set) {
    set = new Set();
    listeners.set(event, set);
  }
  set.add(listener as (payload: unknown) => void);
  return () => set.delete(listener as (payload: unknown) => void);
}

function dispatch(event: EventName, payload: unknown): void {
  for (const listener of listeners.get(event) ?? []) {
    try {
      listener(payload);
    } catch (error) {
      console.warn(`handler of event ${event} failed`, error);
    }
  }
}

/** Subscribes once; calling it again does nothing. Returns a function that ends the subscription. */
export function startEventStream(): () => void {
  if (!stop) {
    const unsubscribers = eventNames.map((event) => api.on(event, (payload) => dispatch(event, payload)));
    stop = () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      stop = null;
    };
  }
  return stop;
}
