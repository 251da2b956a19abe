import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createCore, type Core } from '../../../../../electron/services/core.ts';
import { dispatch } from '../../../../../electron/services/rpc/dispatcher.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';

// Issue 12: names are checked by the contract's schemas at the boundary, so a bad one never opens a connection.
// The NAS here is unreachable (nothing listens on 127.0.0.1:1): a valid name gets as far as HOST_UNREACHABLE, a bad
// one is refused by name first. (Before, both answered HOST_UNREACHABLE: the name was checked only at the leaf.)

let configDir: string;
let services: Core;
let connectionId: string;

beforeEach(() => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-boundary-'));
  const store = openConfStore(configDir);
  const keyPath = path.join(configDir, 'test-key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
  const connection = store.saveConnection({ name: 'gone', host: '127.0.0.1', port: 1, username: 'root', auth: { kind: 'key-file', keyPath } });
  store.pinHostKey(connection.id, { type: 'ssh-ed25519', sha256: 'SHA256:unreachable' });
  connectionId = connection.id;
  services = createCore({ store, configDir, versions: { app: 'test', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' } });
});
afterEach(async () => {
  await services.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

it.each(['tank/x;reboot', 'tank/$(reboot)', '-tank', 'tank/a\u0000b', 'tank/a@s'])('listSnapshots %j: refused by name before any connection', async (dataset) => {
  const result = await dispatch(services.handlers, 'listSnapshots', { connectionId, dataset });
  expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
  expect(JSON.stringify(result)).toContain('Dataset name');
  expect((await dispatch(services.handlers, 'listDatasets', { connectionId, root: dataset })).ok).toBe(false);
  expect(services.ssh.stats(connectionId)).toBeNull();
});

it('a valid name does try the NAS (and finds it unreachable)', async () => {
  const result = await dispatch(services.handlers, 'listSnapshots', { connectionId, dataset: 'tank/x' });
  expect(result).toMatchObject({ ok: false, error: { code: 'HOST_UNREACHABLE' } });
}, 60_000);
