import { contextBridge, ipcRenderer } from 'electron';
import { eventChannel, isEventName, verbChannel, verbNames } from '../../shared/contract.ts';

// Exposes exactly the contract's verbs (and an event subscription) as window.api, nothing else:
// no ipcRenderer, no generic invoke.
const api: Record<string, unknown> = {};
for (const verb of verbNames) {
  api[verb] = (request: unknown) => ipcRenderer.invoke(verbChannel(verb), request);
}
api.on = (event: unknown, listener: (payload: unknown) => void) => {
  if (!isEventName(event)) throw new Error(`Unknown event "${String(event)}".`);
  const channel = eventChannel(event);
  const handler = (_event: unknown, payload: unknown) => listener(payload);
  ipcRenderer.on(channel, handler);
  return () => {
    ipcRenderer.removeListener(channel, handler);
  };
};

// IPC to the main process cannot drop while the window exists: always online.
api.onTransportState = (listener: (state: unknown) => void) => {
  listener({ status: 'online', since: new Date().toISOString(), reconnectInMs: null, reason: null });
  return () => undefined;
};

contextBridge.exposeInMainWorld('api', api);
