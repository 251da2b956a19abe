import WebSocket from 'ws';
import { bridgeProtocol, bridgeTokenPrefix, type BridgeServerMessage, type VerbName, type VerbRequest, type VerbResponse } from '../../../shared/contract.ts';
import type { VmInfo } from './testbed.ts';

// Contract verbs from a test, over the running bridge (the same protocol as the renderer): fast setup that goes
// through the real services — a NAS saved and its host key pinned as the fingerprint dialog would, tasks saved.

export async function callVerb<K extends VerbName>(verb: K, request: VerbRequest<K>): Promise<VerbResponse<K>> {
  const ws = new WebSocket(`ws://127.0.0.1:${process.env.ZRD_E2E_PORT}/rpc`, [bridgeProtocol, `${bridgeTokenPrefix}${process.env.ZRD_E2E_TOKEN}`], { origin: process.env.ZRD_E2E_ORIGIN! });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    const result = await new Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as BridgeServerMessage;
        if ('id' in message && message.id === 1) resolve(message.result as never);
      });
      ws.send(JSON.stringify({ id: 1, verb, request }));
    });
    if (!result.ok) throw new Error(`${verb} failed: ${result.error?.code} ${result.error?.message}`);
    return result.value as VerbResponse<K>;
  } finally {
    ws.close();
  }
}

/** A VM saved as a NAS (root, the test key) with its host key confirmed: ready for the screens. */
export async function saveTrustedNas(name: string, vm: VmInfo): Promise<string> {
  const saved = await callVerb('saveConnection', { name, host: vm.host, port: vm.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: vm.keyPath } });
  const key = await callVerb('probeHostKey', { connectionId: saved.id });
  await callVerb('confirmHostKey', { connectionId: saved.id, sha256: key.sha256 });
  return saved.id;
}
