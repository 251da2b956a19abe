import { beforeEach, describe, expect, it, vi } from 'vitest';
import { eventChannel, verbChannel, verbNames } from '../../../../shared/contract.ts';

// The preload runs only inside Electron; here Electron's two objects it touches are stand-ins that record
// what the preload asks of them, so the exposed surface can be checked without an Electron binary.
const exposed: Record<string, any> = {};
const invoked: Array<[string, unknown]> = [];
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
  ipcRenderer: {
    invoke: async (channel: string, request: unknown) => (invoked.push([channel, request]), { ok: true, value: 'fine' }),
    on: (channel: string, listener: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
    },
    removeListener: (channel: string, listener: (...args: unknown[]) => void) => listeners.get(channel)?.delete(listener),
  },
}));

beforeEach(async () => {
  await import('../../../../electron/preload/preload.ts');
});

describe('preload', () => {
  it('exposes exactly the contract verbs, `on` and `onTransportState` as window.api', () => {
    expect(Object.keys(exposed)).toEqual(['api']);
    expect(Object.keys(exposed.api).sort()).toEqual([...verbNames, 'on', 'onTransportState'].sort());
    const states: unknown[] = [];
    exposed.api.onTransportState((state: unknown) => states.push(state));
    expect(states).toEqual([expect.objectContaining({ status: 'online' })]);
  });

  it('sends each verb on its own channel', async () => {
    expect(await exposed.api.ping({ message: 'm' })).toEqual({ ok: true, value: 'fine' });
    expect(invoked).toContainEqual([verbChannel('ping'), { message: 'm' }]);
  });

  it('subscribes to known events only, and unsubscribes', () => {
    const seen: unknown[] = [];
    const off = exposed.api.on('log', (payload: unknown) => seen.push(payload));
    for (const listener of listeners.get(eventChannel('log')) ?? []) listener({ sender: 'x' }, { message: 'hello' });
    expect(seen).toEqual([{ message: 'hello' }]);
    off();
    expect(listeners.get(eventChannel('log'))?.size).toBe(0);
    expect(() => exposed.api.on('ipc-anything', () => undefined)).toThrow('Unknown event');
  });
});
