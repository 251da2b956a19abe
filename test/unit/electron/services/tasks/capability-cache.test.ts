import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCapabilityCache, capabilityCacheFile } from '../../../../../electron/services/tasks/capability-cache.ts';
import { NasRegistry } from '../../../../../electron/services/tasks/nas-registry.ts';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import type { AppStore } from '../../../../../electron/services/store/app-store.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import type { Connection } from '../../../../../shared/schemas.ts';
import { FakeNas } from './fake-nas.ts';

// The capability cache lets a new process (a cron run) skip the probe: these tests count probe commands at the
// runner seam across registries that share one data folder, as two processes would.

let dataDir: string;
let store: AppStore;
let connection: Connection;
let nas: FakeNas;

const probes = () => nas.calls.filter((call) => call.argv[0] === 'sh' && call.argv[2]?.includes('uname -s')).length;
const registry = (cache = new FileCapabilityCache(dataDir)) => new NasRegistry(store, { runnerFor: () => nas }, cache);

beforeEach(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'zrd-capability-cache-'));
  store = openConfStore(dataDir);
  connection = store.saveConnection({ name: 'nas-a', host: 'nas-a.example', username: 'root', privilege: 'root' });
  nas = new FakeNas('root@nas-a.example:22', 'tank');
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

describe('capabilities kept between processes', () => {
  it('a second process uses the first one\'s probe: one probe for two registries, same capabilities', async () => {
    const first = await registry().host(connection.id);
    const second = await registry().host(connection.id);
    expect(probes()).toBe(1);
    expect(second.capabilities).toEqual(first.capabilities);
    const file = path.join(dataDir, 'cache', capabilityCacheFile);
    if (process.platform !== 'win32') {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    }
  });

  it('probes again once the entry is older than its maximum age, or when the clock went back', async () => {
    let now = 1_000_000;
    const cache = () => new FileCapabilityCache(dataDir, { maxAgeMs: 60_000, now: () => now });
    await registry(cache()).host(connection.id);
    now += 59_000;
    await registry(cache()).host(connection.id);
    expect(probes()).toBe(1);
    now += 2_000;
    await registry(cache()).host(connection.id);
    expect(probes()).toBe(2);
    now -= 10_000;
    await registry(cache()).host(connection.id);
    expect(probes()).toBe(3);
  });

  it('probes again when the connection changed in any way that matters: privilege, user, port, pinned host key', async () => {
    await registry().host(connection.id);
    store.saveConnection({ ...connection, privilege: 'sudo' });
    await registry().host(connection.id);
    expect(probes()).toBe(2);
    store.saveConnection({ ...store.getConnection(connection.id), port: 2222 });
    await registry().host(connection.id);
    expect(probes()).toBe(3);
    await registry().host(connection.id);
    expect(probes()).toBe(3);
  });

  it('a command failing as COMMAND_NOT_FOUND drops the entry (zfs moved): the next process probes again', async () => {
    const first = registry();
    const host = await first.host(connection.id);
    const original = nas.run.bind(nas);
    nas.run = async (argv, options) => {
      if (argv[1] === 'list') throw new AppFailure('COMMAND_NOT_FOUND', 'zfs: not found', 'Install OpenZFS.');
      return original(argv, options);
    };
    await expect(host.runner.run(['/usr/sbin/zfs', 'list'])).rejects.toThrow('zfs: not found');
    await registry().host(connection.id);
    expect(probes()).toBe(2);
  });

  it("so does a listing that failed inside the task lock's shell (zfs not found there): one failure path", async () => {
    const host = await registry().host(connection.id);
    const embedded = host.runner.embed!(['/usr/sbin/zfs', 'list'], { via: 'the task lock' });
    expect(() => embedded.settle({ exitCode: 127, stdout: '', stderr: 'sh: 1: /usr/sbin/zfs: not found\n', durationMs: 5 })).toThrow(expect.objectContaining({ code: 'COMMAND_NOT_FOUND' }));
    await registry().host(connection.id);
    expect(probes()).toBe(2);
  });

  it('other failures (a dataset not found) keep the entry', async () => {
    const host = await registry().host(connection.id);
    const original = nas.run.bind(nas);
    nas.run = async (argv, options) => {
      if (argv[1] === 'list') throw new AppFailure('DATASET_NOT_FOUND', 'no such dataset', 'Check the name.');
      return original(argv, options);
    };
    await expect(host.runner.run(['/usr/sbin/zfs', 'list'])).rejects.toThrow('no such dataset');
    await registry().host(connection.id);
    expect(probes()).toBe(1);
  });

  it('forget (a test or an edit of the connection) makes every process probe again', async () => {
    const first = registry();
    await first.host(connection.id);
    first.forget(connection.id);
    await registry().host(connection.id);
    expect(probes()).toBe(2);
  });

  it('an unreadable, foreign or tampered file costs a probe, never an error; a kept output that no longer parses is re-probed', async () => {
    const file = path.join(dataDir, 'cache', capabilityCacheFile);
    await registry().host(connection.id);
    writeFileSync(file, '{ not json');
    await registry().host(connection.id);
    expect(probes()).toBe(2);
    const kept = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, { output: string }> };
    kept.entries[connection.id]!.output = 'os\tLinux\n';
    writeFileSync(file, JSON.stringify(kept));
    const host = await registry().host(connection.id);
    expect(probes()).toBe(3);
    expect(host.capabilities.tools.zfs).toMatch(/^\//);
  });

  it('without a cache (tests, or capabilityCache: false) every registry probes', async () => {
    await new NasRegistry(store, { runnerFor: () => nas }).host(connection.id);
    await new NasRegistry(store, { runnerFor: () => nas }).host(connection.id);
    expect(probes()).toBe(2);
  });
});
