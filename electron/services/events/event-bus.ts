import { events, type EventName, type EventPayload } from '../../../shared/contract.ts';

export type BusListener = (name: EventName, payload: unknown) => void;

/** Events main pushes to every window (or bridge client). Payloads are validated here, once, at the source. */
export class EventBus {
  #listeners = new Set<BusListener>();

  emit<E extends EventName>(name: E, payload: EventPayload<E>): void {
    const checked = events[name].parse(payload);
    for (const listener of this.#listeners) listener(name, checked);
  }

  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
