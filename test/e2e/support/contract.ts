import WebSocket from 'ws';
import { bridgeProtocol, bridgeTokenPrefix, type VerbName, type VerbRequest, type VerbResponse } from '../../../shared/contract.ts';
import type { Result } from '../../../shared/result.ts';
import { nas } from './testbed.ts';

// The contract from a Playwright test, over the same bridge the page uses (test/e2e/global-setup.ts started it): set
// a fixture up fast and check results without clicking. Shared by the UI specs:
//
//   const api = await contractClient();
//   const { a, b } = await nasConnections(api);   // nas-a and nas-b saved, host keys pinned, key login working
//   const tasks = await api.ok('listTasks', {});

export interface ContractClient {
  call<K extends VerbName>(verb: K, request: VerbRequest<K>): Promise<Result<VerbResponse<K>>>;
  /** call(), throwing on a failed Result (fixtures: a failure there is a broken test bed, not a finding). */
  ok<K extends VerbName>(verb: K, request: VerbRequest<K>): Promise<VerbResponse<K>>;
  close(): void;
}

export async function contractClient(): Promise<ContractClient> {
  const port = Number(process.env.ZRD_E2E_PORT);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`, [bridgeProtocol, `${bridgeTokenPrefix}${process.env.ZRD_E2E_TOKEN!}`], { origin: process.env.ZRD_E2E_ORIGIN! });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_request, response) => reject(new Error(`the bridge refused the test's connection: HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
  let nextId = 1;
  const waiting = new Map<number, (value: unknown) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { id?: number; result?: unknown };
    if (typeof message.id === 'number') {
      waiting.get(message.id)?.(message.result);
      waiting.delete(message.id);
    }
  });
  const call = <K extends VerbName>(verb: K, request: VerbRequest<K>) =>
    new Promise<Result<VerbResponse<K>>>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve as (value: unknown) => void);
      ws.send(JSON.stringify({ id, verb, request }));
    });
  return {
    call,
    ok: async (verb, request) => {
      const result = await call(verb, request);
      if (!result.ok) throw new Error(`${verb} failed: ${result.error.code} ${result.error.message}${result.error.hint ? ` (${result.error.hint})` : ''}`);
      return result.value;
    },
    close: () => ws.close(),
  };
}

type Connection = VerbResponse<'listConnections'>[number];

/**
 * nas-a and nas-b as saved connections (root, the test bed's key file), their host keys pinned: created once per
 * settings folder, reused by every spec after that (looked up by name).
 */
export async function nasConnections(api: ContractClient): Promise<{ a: Connection; b: Connection }> {
  const existing = await api.ok('listConnections', {});
  const ensure = async (name: 'nas-a' | 'nas-b'): Promise<Connection> => {
    const vm = nas(name);
    let connection = existing.find((c) => c.name === name && c.port === vm.port && c.host === vm.host);
    connection ??= await api.ok('saveConnection', { name, host: vm.host, port: vm.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: vm.keyPath } });
    if (!connection.hostKey) {
      const key = await api.ok('probeHostKey', { connectionId: connection.id });
      connection = await api.ok('confirmHostKey', { connectionId: connection.id, sha256: key.sha256 });
    }
    return connection;
  };
  return { a: await ensure('nas-a'), b: await ensure('nas-b') };
}
