import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdTagOf } from '../../electron/services/replication/hold-tags.ts';
import { probeHostKey } from '../../electron/services/ssh/probe-host-key.ts';
import { openConfStore } from '../../electron/services/store/open-conf-store.ts';
import type { ReplicationTask } from '../../shared/task-schemas.ts';
import { sshOk } from '../nas/testbed.ts';
import { nasVm } from './support/zfs-hosts.ts';

// The cron cycle (issue 17): a new CLI process per run, as cron starts it, and every remote command it runs read
// back from the app log (the ssh runner records each one there, the one place commands run). Each command is one
// ssh channel on the NAS's one pooled connection, except the source listing, which the lock's shell runs in its own
// channel (recorded with `via`): counting the others counts the ssh sessions of a cycle.
const root = path.resolve(import.meta.dirname, '..', '..');
const cliPath = path.join(root, 'electron', 'cli', 'zfs-replication.ts');
const run = promisify(execFile);
let configDir: string;
let sourceLabel: string;
let destinationLabel: string;
const noop = 'cycle-noop';
const fleet = 'cycle-fleet';
const children = 10;
const tasks: Record<string, ReplicationTask> = {};

interface CommandLine {
  connection: string;
  name: string;
  command: string;
  /** Set when it ran inside another command's channel. */
  via?: string;
}

/** What a remote command is, by its name and command line. */
function kindOf(c: CommandLine): string {
  if (c.via === 'the task lock') return `${kindOf({ ...c, via: undefined })} (in the lock)`;
  if (c.command.includes('flock')) return 'lock';
  if (c.command.includes('command -v')) return 'tools';
  if (c.name === 'zfs hold' || c.name === 'zfs release' || c.name === 'zfs list') return c.name;
  if (/zfs send -n/.test(c.command)) return 'estimate';
  if (/zfs send/.test(c.command)) return 'send';
  if (/zfs receive/.test(c.command)) return 'receive';
  return c.name;
}

/** Runs the CLI once and returns the remote commands it ran, by side, from the app log lines it appended. */
async function cycle(taskName: string): Promise<{ source: string[]; destination: string[]; lines: string[] }> {
  const logFile = path.join(configDir, 'logs', 'app.log');
  const offset = (() => {
    try {
      return statSync(logFile).size;
    } catch {
      return 0;
    }
  })();
  const { stdout, stderr } = await run(process.execPath, [cliPath, 'run', taskName], { env: { ...process.env, ZRD_CONFIG_DIR: configDir }, timeout: 900_000 });
  expect({ stdout, stderr }).toEqual({ stdout: '', stderr: '' });
  const lines = readFileSync(logFile).subarray(offset).toString('utf8').split('\n').filter(Boolean);
  const commands = lines.map((line) => JSON.parse(line) as CommandLine & { event?: string }).filter((entry) => entry.event === 'command');
  return {
    source: commands.filter((c) => c.connection === sourceLabel).map(kindOf),
    destination: commands.filter((c) => c.connection === destinationLabel).map(kindOf),
    lines: commands.map((c) => c.command),
  };
}

const count = (kinds: string[]) => Object.fromEntries([...new Set(kinds)].sort().map((kind) => [kind, kinds.filter((k) => k === kind).length]));

/** Destroys a tree after releasing every hold in it (ours would refuse the destroy); absent is fine. */
const destroyTree = (name: string) =>
  `if zfs list '${name}' >/dev/null 2>&1; then zfs list -H -o name -t snapshot -r '${name}' | while read -r s; do zfs holds -H "$s" | cut -f2 | while read -r t; do zfs release "$t" "$s"; done; done; zfs destroy -r '${name}'; fi`;

const holdsOf = async (vm: ReturnType<typeof nasVm>, snapshot: string) => (await sshOk(vm, 'root', `zfs holds -H '${snapshot}'`)).trim();

beforeAll(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'zrd-cycle-it-'));
  const store = openConfStore(configDir);
  const a = nasVm('nas-a');
  const b = nasVm('nas-b');
  const source = store.saveConnection({ name: 'nas-a', host: a.host, port: a.port, username: 'admin', privilege: 'sudo', auth: { kind: 'key-file', keyPath: a.keyPath } });
  const destination = store.saveConnection({ name: 'nas-b', host: b.host, port: b.port, username: 'root', privilege: 'root', auth: { kind: 'key-file', keyPath: b.keyPath } });
  sourceLabel = `admin@${a.host}:${a.port}`;
  destinationLabel = `root@${b.host}:${b.port}`;
  for (const [connection, vm] of [[source, a], [destination, b]] as const) store.pinHostKey(connection.id, await probeHostKey(vm.host, vm.port));
  for (const [name, recursive] of [[noop, false], [fleet, true]] as const) {
    // zstd: a task that compresses needs tools on both sides, which a no-op must not even look for.
    tasks[name] = store.saveTask({
      name,
      sourceConnectionId: source.id,
      sources: [{ name: `tank/${name}`, recursive }],
      destinationConnectionId: destination.id,
      destinationParent: `backup/${name}`,
      transport: { kind: 'relay' },
      compression: 'zstd',
      selection: { kind: 'all' },
    });
  }
  await sshOk(b, 'root', `${destroyTree(`backup/${noop}`)}; ${destroyTree(`backup/${fleet}`)}`);
  const makeChildren = Array.from({ length: children }, (_, i) => `zfs create 'tank/${fleet}/c${i}' && echo ${i} > '/tank/${fleet}/c${i}/f'`).join(' && ');
  await sshOk(
    a,
    'root',
    `${destroyTree(`tank/${noop}`)}; ${destroyTree(`tank/${fleet}`)}; ` +
      `zfs create 'tank/${noop}' && echo one > '/tank/${noop}/f' && zfs snapshot 'tank/${noop}@s1' && ` +
      `zfs create 'tank/${fleet}' && ${makeChildren} && zfs snapshot -r 'tank/${fleet}@s1'`,
  );
}, 600_000);

afterAll(async () => {
  rmSync(configDir, { recursive: true, force: true });
  // The VMs are shared by the suite: the trees go, with the holds that would refuse their destroy.
  await sshOk(nasVm('nas-a'), 'root', `${destroyTree(`tank/${noop}`)}; ${destroyTree(`tank/${fleet}`)}`).catch(() => undefined);
  await sshOk(nasVm('nas-b'), 'root', `${destroyTree(`backup/${noop}`)}; ${destroyTree(`backup/${fleet}`)}`).catch(() => undefined);
});

describe('the cron cycle, counted command by command', () => {
  it('a no-op cycle is the lock and one listing per side: no tool check, no estimate, no hold moved; one channel on the source', async () => {
    const first = await cycle(noop);
    expect(first.source).toContain('send');
    const replica = `backup/${noop}/${noop}`;
    const heldBefore = [await holdsOf(nasVm('nas-a'), `tank/${noop}@s1`), await holdsOf(nasVm('nas-b'), `${replica}@s1`)];
    expect(heldBefore.every((line) => line.includes(tasks[noop]!.id))).toBe(true);

    const again = await cycle(noop);
    // The source's listing runs in the lock's channel, under the lock: one channel on each side.
    expect(again.source.sort()).toEqual(['lock', 'zfs list (in the lock)']);
    expect(again.destination).toEqual(['zfs list']);
    // The base did not move, and its holds are exactly where they were.
    expect([await holdsOf(nasVm('nas-a'), `tank/${noop}@s1`), await holdsOf(nasVm('nas-b'), `${replica}@s1`)]).toEqual(heldBefore);
  }, 900_000);

  it('an up-to-date base that lost its hold (a run stopped before holding) is held again by the next cycle', async () => {
    const replica = `backup/${noop}/${noop}`;
    await sshOk(nasVm('nas-b'), 'root', `zfs release '${holdTagOf(tasks[noop]!.id)}' '${replica}@s1'`);
    expect(await holdsOf(nasVm('nas-b'), `${replica}@s1`)).toBe('');
    const healed = await cycle(noop);
    expect(count(healed.destination)).toEqual({ 'zfs hold': 1, 'zfs list': 1 });
    expect(await holdsOf(nasVm('nas-b'), `${replica}@s1`)).toContain(tasks[noop]!.id);
    // Then the cycle is a no-op again.
    expect((await cycle(noop)).destination).toEqual(['zfs list']);
  }, 900_000);

  it(`a fleet cycle (${children + 1} datasets, one new snapshot each) opens 5 channels on each side, whatever the number of datasets: the streams go batched`, async () => {
    const first = await cycle(fleet);
    expect(count(first.source).send).toBe(children + 1);
    await sshOk(nasVm('nas-a'), 'root', `zfs snapshot -r 'tank/${fleet}@s2'`);
    const next = await cycle(fleet);
    // One command per side for the whole tree: the lock (the source's listing inside it), the listing, the tool
    // check (this task compresses), the streams (every dataset's single increment through one source shell and one
    // destination shell, increment-batch.ts), one zfs hold, one zfs release. No size estimate: nobody watches a cron run.
    expect(count(next.source)).toEqual({ lock: 1, send: 1, tools: 1, 'zfs hold': 1, 'zfs list (in the lock)': 1, 'zfs release': 1 });
    expect(count(next.destination)).toEqual({ receive: 1, tools: 1, 'zfs hold': 1, 'zfs list': 1, 'zfs release': 1 });
    // The batch carries each dataset's own stream (sudo -n for the admin login, the compressor once per side).
    const batchLines = next.lines.filter((line) => line.startsWith('sh -c '));
    expect(batchLines.join('\n').match(/sudo -n \/usr\/sbin\/zfs send /g)).toHaveLength(children + 1);
    // Every replica has the source's @s2, by GUID.
    const guids = async (vm: ReturnType<typeof nasVm>, rootName: string) =>
      (await sshOk(vm, 'root', `zfs list -H -o name,guid -t snapshot -r '${rootName}' | grep '@s2\t' | cut -f2 | sort`)).trim();
    expect(await guids(nasVm('nas-b'), `backup/${fleet}`)).toBe(await guids(nasVm('nas-a'), `tank/${fleet}`));
    expect((await guids(nasVm('nas-a'), `tank/${fleet}`)).split('\n')).toHaveLength(children + 1);
    // Each a -r on the tree's root (the listings prove every snapshot of that name below it is the task's): one
    // sync task per side instead of one per dataset.
    // (The source logs in as admin: its commands start with sudo -n.)
    const holdLines = next.lines.filter((line) => / (hold|release) /.test(line)).map((line) => line.replace(/^sudo -n /, ''));
    expect(holdLines.sort()).toEqual([
      expect.stringMatching(new RegExp(`^/usr/sbin/zfs hold -r \\S+ backup/${fleet}/${fleet}@s2$`)),
      expect.stringMatching(new RegExp(`^/usr/sbin/zfs hold -r \\S+ tank/${fleet}@s2$`)),
      expect.stringMatching(new RegExp(`^/usr/sbin/zfs release -r \\S+ backup/${fleet}/${fleet}@s1$`)),
      expect.stringMatching(new RegExp(`^/usr/sbin/zfs release -r \\S+ tank/${fleet}@s1$`)),
    ]);
    // The holds moved to @s2 on every dataset of both sides, and left @s1.
    const tag = holdTagOf(tasks[fleet]!.id);
    const heldOn = async (vm: ReturnType<typeof nasVm>, rootName: string) =>
      (await sshOk(vm, 'root', `zfs list -H -o name -t snapshot -r '${rootName}' | xargs zfs holds -H`))
        .trim()
        .split('\n')
        .filter((line) => line.includes(tag))
        .map((line) => line.split('\t')[0]!.split('@')[1])
        .sort();
    expect(await heldOn(nasVm('nas-a'), `tank/${fleet}`)).toEqual(Array(children + 1).fill('s2'));
    expect(await heldOn(nasVm('nas-b'), `backup/${fleet}`)).toEqual(Array(children + 1).fill('s2'));
  }, 1_200_000);

  it('a stream that fails inside the batch (a replica over its quota) stops it there: what arrived is kept and held; the next cycle resumes the rest', async () => {
    const [a, b] = [nasVm('nas-a'), nasVm('nas-b')];
    const replicaOf = (child: string) => `backup/${fleet}/${fleet}${child}`;
    const stuck = replicaOf('/c4');
    const used = Number((await sshOk(b, 'root', `zfs get -H -p -o value used '${stuck}'`)).trim());
    await sshOk(b, 'root', `zfs set quota=${used + 32768} '${stuck}'`);
    await sshOk(a, 'root', `for c in c3 c4 c5; do head -c 262144 /dev/urandom > "/tank/${fleet}/$c/g"; done; zfs snapshot -r 'tank/${fleet}@s3'`);
    const failed = await run(process.execPath, [cliPath, 'run', fleet], { env: { ...process.env, ZRD_CONFIG_DIR: configDir }, timeout: 900_000 }).then(
      () => null,
      (error: { stdout: string; stderr: string }) => `${error.stdout}${error.stderr}`,
    );
    expect(failed).toContain(`${stuck} is over its quota`);
    // In creation order: the parent and c0..c3 arrived before c4 failed (and were held at @s3); c4 tried alone once
    // more (the same quota), c5..c9 never sent.
    const at = async (vm: ReturnType<typeof nasVm>, dataset: string) => (await sshOk(vm, 'root', `zfs list -H -o name -t snapshot -d 1 '${dataset}' | sed 's/.*@//' | tail -1`)).trim();
    const order = ['', ...Array.from({ length: children }, (_, i) => `/c${i}`)];
    expect(await Promise.all(order.map((child) => at(b, replicaOf(child))))).toEqual(order.map((_, i) => (i < 5 ? 's3' : 's2')));
    expect(await holdsOf(b, `${replicaOf('/c3')}@s3`)).toContain(tasks[fleet]!.id);
    expect(await holdsOf(a, `tank/${fleet}/c3@s3`)).toContain(tasks[fleet]!.id);
    expect(await holdsOf(a, `tank/${fleet}/c4@s2`)).toContain(tasks[fleet]!.id);
    // The quota gone, the next cycle finishes c4 (its interrupted receive resumed, alone) and batches the rest.
    await sshOk(b, 'root', `zfs set quota=none '${stuck}'`);
    const next = await cycle(fleet);
    expect(count(next.destination).receive).toBe(2);
    expect(next.lines.some((line) => / send .* -t /.test(line) || /zfs send -t /.test(line))).toBe(true);
    const guids = async (vm: ReturnType<typeof nasVm>, rootName: string) =>
      (await sshOk(vm, 'root', `zfs list -H -o name,guid -t snapshot -r '${rootName}' | grep '@s3' | cut -f2 | sort`)).trim();
    expect(await guids(b, `backup/${fleet}`)).toBe(await guids(a, `tank/${fleet}`));
    expect((await guids(a, `tank/${fleet}`)).split('\n')).toHaveLength(children + 1);
  }, 1_200_000);
});
