import { describe, expect, it } from 'vitest';
import { destinationKeyOf, runReplicationTask, selector } from '../../../electron/services/replication/replication-engine.ts';
import { knownHostsPattern, nasToNasSshArgv } from '../../../electron/services/ssh/key-exchange.ts';
import { buildHoldArgv, buildSetPropertiesArgv } from '../../../electron/services/zfs/operations.ts';
import { listForReplication } from '../../../electron/services/zfs/replication-listing.ts';
import { buildReceiveArgv } from '../../../electron/services/zfs/send-receive.ts';
import { listSnapshots } from '../../../electron/services/zfs/snapshots.ts';
import { verbs } from '../../../shared/contract.ts';
import { namingSchema } from '../../../shared/naming-schema.ts';
import { AppFailure } from '../../../shared/result.ts';
import { ConnectionInputSchema, HoldTagSchema, SnapshotNameSchema } from '../../../shared/schemas.ts';
import { assertRunnableSnapshotTask, assertRunnableTask, PeriodicSnapshotTaskDraftSchema, ReplicationTaskDraftSchema, ReplicationTaskSchema, type ReplicationTask } from '../../../shared/task-schemas.ts';
import { assertZfsName } from '../../../shared/zfs-names.ts';
import { fakeHost, testCapabilities } from '../electron/services/zfs/fake-runner.ts';

// Issue 11 item 7 / issue 12: what the contract's schemas accept on save is exactly what a run accepts. Every bad
// value below is fed to the save schema (saveTask's request), to the check at the entry of a run (a task from a
// hand-edited settings file never went through the save schema), and to the check at the leaf that builds the
// command (the zfs argv builders, the NAS-to-NAS ssh argv), which must refuse it with a named error, never an
// INTERNAL "This is a bug" and never after a login. A run of such a task opens no connection at all.

const tools = testCapabilities.tools;
const ids = { task: '33333333-3333-4333-8333-333333333333', source: '11111111-1111-4111-8111-111111111111', destination: '22222222-2222-4222-8222-222222222222' };

const draft = () => ({
  name: 'nightly',
  sourceConnectionId: ids.source,
  sources: [{ name: 'tank/data', recursive: true, exclude: ['tank/data/tmp'] }],
  destinationConnectionId: ids.destination,
  destinationParent: 'backup/r',
  transport: { kind: 'direct' as const, destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'admin' },
  selection: { kind: 'naming-schema' as const, schemas: ['auto-%Y-%m-%d_%H-%M'] },
  properties: { replicate: true, exclude: ['mountpoint'], override: { 'com.example:role': 'replica' } },
});

/** A saved task as the settings file holds it, with defaults applied. */
const saved = (): ReplicationTask => ReplicationTaskSchema.parse({ ...draft(), id: ids.task });

type Task = Record<string, unknown> & ReturnType<typeof draft>;

interface Row {
  /** The field as messages name it. */
  field: string;
  value: unknown;
  /** Puts the value into a task. */
  set: (task: Task) => unknown;
  /** The check right before the command that would carry it; absent where the value only steers the run. */
  leaf?: (value: never) => unknown | Promise<unknown>;
  /** Words the refusal says. */
  says: string;
}

const withSources = (task: Task, patch: Record<string, unknown>) => ({ ...task, sources: [{ ...task.sources[0], ...patch }] });
const withProperties = (task: Task, patch: Record<string, unknown>) => ({ ...task, properties: { ...task.properties, ...patch } });
const withTransport = (task: Task, patch: Record<string, unknown>) => ({ ...task, transport: { ...task.transport, ...patch } });
const listingLeaf = async (name: string) => {
  const { host, runner } = fakeHost();
  await listForReplication(host, name).finally(() => expect(runner.calls).toEqual([]));
};

const rows: Row[] = [
  ...['tank/x;reboot', '-tank/x', 'tank/$(reboot)', 'tank/a\0b', 'tank/a\nb', 'tank/é', '/tank/a', 'tank/a@s', ''].map((value): Row => ({
    field: 'sources[0].name',
    value,
    set: (t) => withSources(t, { name: value, exclude: [] }),
    leaf: listingLeaf,
    says: value === '' ? 'Enter a dataset' : 'Dataset name',
  })),
  ...['tank/data/$(id)', 'tank/data/a\tb', 'tank/other', 'tank/data'].map((value): Row => ({
    field: 'sources[0].exclude[0]',
    value,
    set: (t) => withSources(t, { exclude: [value] }),
    says: value.startsWith('tank/data/') ? 'Dataset name' : 'is not a child of "tank/data"',
  })),
  ...['backup/$(reboot)', 'backup/r@snap', '-backup', 'backup/r\u001b[2J'].map((value): Row => ({ field: 'destinationParent', value, set: (t) => ({ ...t, destinationParent: value }), leaf: listingLeaf, says: 'Dataset name' })),
  ...['Compression', '-o', 'com.example:Owner', 'a b', 'x;y', 'com.example:a\0b'].map((value): Row => ({
    field: 'properties.exclude[0]',
    value,
    set: (t) => withProperties(t, { exclude: [value] }),
    leaf: (name: string) => buildReceiveArgv(tools, { target: 'backup/r/data', excludeProperties: [name] }),
    says: 'roperty',
  })),
  ...['Compression', '-o', 'a b'].map((value): Row => ({
    field: `properties.override.${value}`,
    value,
    set: (t) => withProperties(t, { override: { [value]: 'x' } }),
    leaf: (name: string) => buildReceiveArgv(tools, { target: 'backup/r/data', setProperties: { [name]: 'x' } }),
    says: 'roperty',
  })),
  ...['a\0b', 'line\nbreak', '\u001b]0;title\u0007', '', 'v'.repeat(8192), 'é'.repeat(4096)].map((value): Row => ({
    field: 'properties.override.com.example:role',
    value,
    set: (t) => withProperties(t, { override: { 'com.example:role': value } }),
    leaf: (v: string) => buildReceiveArgv(tools, { target: 'backup/r/data', setProperties: { 'com.example:role': v } }),
    says: 'Property value',
  })),
  {
    field: 'properties.override.compression',
    value: 'zstd',
    set: (t) => withProperties(t, { exclude: ['compression'], override: { compression: 'zstd' } }),
    says: 'both excluded and overridden',
  },
  ...['$(reboot)', '-oProxyCommand=x', 'ro ot', 'root\0', `u${'x'.repeat(32)}`, '', '1admin'].map((value): Row => ({
    field: 'transport.destinationUser',
    value,
    set: (t) => withTransport(t, { destinationUser: value }),
    leaf: (user: string) => nasToNasSshArgv(user, { host: 'nas-b', port: 22 }),
    says: 'User name',
  })),
  ...['nas;reboot', '-oProxyCommand=x', 'nas b', 'nas\0', '$(id)', 'x'.repeat(254)].map((value): Row => ({
    field: 'transport.destinationHost',
    value,
    set: (t) => withTransport(t, { destinationHost: value }),
    leaf: (host: string) => nasToNasSshArgv('admin', { host, port: 22 }),
    says: 'Host must be',
  })),
  ...['(?=a)', '(a)\\1', '(', 'a'.repeat(1001), 'auto\0', ''].map((value): Row => ({
    field: 'selection.pattern',
    value,
    set: (t) => ({ ...t, selection: { kind: 'regex', pattern: value } }),
    leaf: (pattern: string) => selector({ ...saved(), selection: { kind: 'regex', pattern } }),
    says: 'regular expression',
  })),
  ...['$(reboot)-%Y%m%d%H%M', 'auto-%Y', `auto-%Y-%m-%d_%H-%M${'x'.repeat(40_000)}`, 'auto\u001b[31m-%Y-%m-%d_%H-%M', '-auto-%Y-%m-%d_%H-%M'].map((value): Row => ({
    field: 'selection.schemas[0]',
    value,
    set: (t) => ({ ...t, selection: { kind: 'naming-schema', schemas: [value] } }),
    leaf: (pattern: string) => namingSchema(pattern),
    says: 'schema',
  })),
  ...[
    { keyFormat: 'hex', key: 'abcdefgh' },
    { keyFormat: 'hex', key: 'g'.repeat(64) },
    { keyFormat: 'passphrase', key: 'short' },
    { keyFormat: 'passphrase', key: 'long enough\0but NUL' },
    { keyFormat: 'passphrase', key: 'two\nlines here' },
    { keyFormat: 'passphrase', key: 'p'.repeat(513) },
  ].map((encryption): Row => ({
    field: 'encryption.key',
    value: encryption,
    set: (t) => ({ ...t, encryption: { kind: 'encrypt-on-destination', ...encryption } }),
    leaf: (e: typeof encryption) => destinationKeyOf({ ...saved(), encryption: { kind: 'encrypt-on-destination', keyFormat: e.keyFormat as 'hex' }, properties: { replicate: true, exclude: [], override: {} } }, e.key),
    says: e(encryption.keyFormat),
  })),
  ...[
    ['', 'Give the task a name.'],
    [' ', 'Give the task a name.'],
    ['a\u001b[2Jb', 'Task name "a\\u001b[2Jb" contains an escape character (U+001B).'],
    ['x'.repeat(65), 'Use at most 64 characters.'],
    ['tab\there', 'Task name "tab\\there" contains a tab.'],
  ].map(([value, says]): Row => ({ field: 'name', value, set: (t) => ({ ...t, name: value }), says: says! })),
];

function e(format: string): string {
  return format === 'hex' ? 'hex' : 'assphrase';
}

async function refusal(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  return null;
}

describe('one table: every bad value is refused on save, at the run entry and at the leaf', () => {
  it.each(rows.map((row) => [row.field, JSON.stringify(row.value).slice(0, 60), row] as const))('%s = %s', async (_field, _shown, row) => {
    // Saved through the contract (the app, the bridge, the CLI): refused at that field.
    const onSave = verbs.saveTask.request.safeParse(row.set(draft()));
    expect(onSave.success).toBe(false);
    expect(onSave.error!.issues.map((issue) => issue.path.join('.'))).toContainEqual(expect.stringMatching(new RegExp(`^${row.field.replace(/\[(\d+)\]/g, '.$1').replace(/[.*+?^${}()|\\]/g, '\\$&')}`)));
    expect(ReplicationTaskDraftSchema.safeParse(row.set(draft())).success).toBe(false);

    // A task that never went through that schema (a hand-edited settings file): the run refuses it, by field.
    const bad = row.set(saved() as unknown as Task) as ReplicationTask;
    const atEntry = (await refusal(() => assertRunnableTask(bad))) as AppFailure;
    expect(atEntry).toBeInstanceOf(AppFailure);
    expect(atEntry.code).toBe('INVALID_REQUEST');
    expect(atEntry.message).toContain(`${row.field}: `);
    expect(atEntry.message.toLowerCase()).toContain(row.says.toLowerCase());
    // The message is printable: control characters in the value are escaped, never raw.
    // eslint-disable-next-line no-control-regex -- no raw control character may reach a message
    expect(atEntry.message).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect((atEntry.appError as { details: { issues: Array<{ field: string }> } }).details.issues[0]!.field).toBe(row.field);

    // ...before any connection: the engine asks for no NAS.
    const asked: string[] = [];
    const report = await runReplicationTask(bad, { nas: async (id) => (asked.push(id), Promise.reject(new Error('no NAS in this test'))) });
    expect(report).toMatchObject({ result: 'FAILED', error: { code: 'INVALID_REQUEST' } });
    expect(asked).toEqual([]);

    // The leaf refuses it too, with a named error (never a TypeError or INTERNAL).
    if (row.leaf) {
      const atLeaf = await refusal(() => row.leaf!(row.value as never));
      expect(atLeaf).toBeInstanceOf(AppFailure);
      expect(['INVALID_NAME', 'INVALID_REQUEST']).toContain((atLeaf as AppFailure).code);
    }
  });

  it('the good values of the same fields pass all three', async () => {
    const good = saved();
    expect(verbs.saveTask.request.safeParse(draft()).success).toBe(true);
    expect(assertRunnableTask(good)).toEqual(good);
    await listingLeaf('tank/data').catch(() => undefined);
    expect(buildReceiveArgv(tools, { target: 'backup/r/data', setProperties: { 'com.example:role': 'replica', compression: 'zstd' }, excludeProperties: ['mountpoint'] })).toContain('com.example:role=replica');
    expect(nasToNasSshArgv('admin', { host: 'nas-b', port: 22 })).toContain('nas-b');
    expect(nasToNasSshArgv('_svc.backup-1', { host: 'fe80::1%eth0', port: 2222 })).toContain('fe80::1%eth0');
    expect(selector({ ...good, selection: { kind: 'regex', pattern: '^auto-' } })('auto-1')).toBe(true);
    expect(verbs.saveTask.request.safeParse({ ...draft(), sources: [{ name: ' tank/a b ' }], properties: { replicate: true, exclude: [], override: { 'com.example:note': 'été ✓ 8 KiB max' } } }).success).toBe(true);
    expect(destinationKeyOf({ ...good, encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase' }, properties: { replicate: true, exclude: [], override: {} } }, 'correct horse battery')).toEqual({ format: 'passphrase', key: 'correct horse battery' });
  });
});

describe('the same rules outside tasks', () => {
  it.each(['tank/x;reboot', '-tank', 'tank/a\0', 'tank/a@s', ''])('listSnapshots refuses dataset %j at the boundary, and the zfs layer refuses it before any command', async (dataset) => {
    const request = verbs.listSnapshots.request.safeParse({ connectionId: ids.source, dataset });
    expect(request.success).toBe(false);
    expect(verbs.listDatasets.request.safeParse({ connectionId: ids.source, root: dataset }).success).toBe(false);
    const { host, runner } = fakeHost();
    await expect(listSnapshots(host, dataset)).rejects.toMatchObject({ code: 'INVALID_NAME' });
    expect(runner.calls).toEqual([]);
  });

  it.each([
    ['host', 'nas;reboot'],
    ['host', '-oProxyCommand=x'],
    ['host', 'nas\u001b'],
    ['username', '$(id)'],
    ['username', '-l'],
    ['username', 'root\0'],
    ['name', 'nas\u001b]0;x\u0007'],
    ['auth', { kind: 'key-file', keyPath: '/home/a/.ssh/id\0' }],
  ] as const)('a connection with %s %j is refused on save and by the ssh argv builders', (field, value) => {
    const input = { name: 'nas-a', host: 'nas-a.lan', username: 'admin', [field]: value };
    const parsed = ConnectionInputSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    // eslint-disable-next-line no-control-regex -- no raw control character may reach a message
    expect(parsed.error!.issues[0]!.message).not.toMatch(/[\u0000-\u001f]/);
    if (field === 'host') expect(() => knownHostsPattern(value as string, 22)).toThrow(AppFailure);
    if (field === 'username') expect(() => nasToNasSshArgv(value as string, { host: 'nas-b', port: 22 })).toThrow(AppFailure);
  });

  it.each(['-r', 'tag with\nnewline', 'a'.repeat(256), ''])('hold tag %j: schema and zfs hold agree', (tag) => {
    expect(HoldTagSchema.safeParse(tag).success).toBe(false);
    expect(() => buildHoldArgv(tools, 'hold', { tag, snapshots: ['tank/a@s'] })).toThrow(AppFailure);
  });

  it.each(['tank/a', 'tank/a@', 'tank/a@b@c', 'tank/a@$(id)', '-tank/a@s'])('snapshot name %j: schema and zfs agree', (name) => {
    expect(SnapshotNameSchema.safeParse(name).success).toBe(false);
    expect(() => assertZfsName('snapshot', name)).toThrow(AppFailure);
    expect(() => buildSetPropertiesArgv(tools, name.includes('@') ? name : `${name}@`, { 'com.example:x': 'y' })).toThrow(AppFailure);
  });

  it('a periodic snapshot task: same rules for its dataset, excludes and schema', () => {
    const task = { connectionId: ids.source, dataset: 'tank/data', namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: { kind: 'manual' }, lifetime: { kind: 'forever' } };
    expect(PeriodicSnapshotTaskDraftSchema.safeParse(task).success).toBe(true);
    for (const patch of [{ dataset: 'tank/$(id)' }, { exclude: ['tank/elsewhere'] }, { namingSchema: '%Y' }, { namingSchema: 'x'.repeat(40_000) }]) {
      expect(verbs.saveSnapshotTask.request.safeParse({ ...task, ...patch }).success).toBe(false);
      expect(() => assertRunnableSnapshotTask({ ...task, id: ids.task, ...patch })).toThrow(AppFailure);
    }
  });
});
