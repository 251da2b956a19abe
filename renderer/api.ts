import type { Api } from '../shared/contract.ts';
import { createWebSocketApi } from './transport/websocket-api.ts';

// The only file that touches window.api. In Electron the preload provides it; in a plain browser (the loopback
// bridge) the same Api is built over a WebSocket.
declare global {
  interface Window {
    api?: Api;
  }
}

export const api: Api = window.api ?? createWebSocketApi();
