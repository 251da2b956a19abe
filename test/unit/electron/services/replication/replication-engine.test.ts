import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runReplicationTask, type EngineNas } from '../../../../../electron/services/replication/replication-engine.ts';
import type { CommandRunner, RunOptions, RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { RunReportSchema } from '../../../../../shared/replication-reports.ts';
import { decideRetention, prunedNames } from '../../../../../shared/retention.ts';
import { ReplicationTaskSchema, type ReplicationTaskInput } from '../../../../../shared/task-schemas.ts';
import { testCapabilities } from '../zfs/fake-runner.ts';

// The engine's dry run against scripted NAS answers (the runner seam): what it plans and shows, what it refuses
// before any command changes anything.

const sourceId = '11111111-1111-4111-8111-111111111111';
const destinationId = '22222222-2222-4222-8222-222222222222';

/** name type guid createtxg used written userrefs encryption keystatus readonly receive_resume_token zfs-replication:promoted */
const row = (...cols: Array<string | number>) => cols.join('\t');

class ScriptedRunner implements CommandRunner {
  readonly calls: Array<{ argv: readonly string[]; options: RunOptions | undefined }> = [];
  readonly label: string;
  readonly #answer: (argv: readonly string[]) => Partial<RunResult>;
  constructor(label: string, answer: (argv: readonly string[]) => Partial<RunResult>) {
    this.label = label;
    this.#answer = answer;
  }
  async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    this.calls.push({ argv: [...argv], options });
    return { exitCode: 0, stdout: '', stderr: '', ...this.#answer(argv) };
  }
}

const sourceListing = [row('tank/data', 'filesystem', '100', 5, 1000, 0, '-', 'off', '-', 'off', '-', '-'), row('tank/data@s1', 'snapshot', '101', 6, 0, '-', 0, 'off', '-', '-', '-', '-')].join('\n');

function sides(destinationListing: string | null, sourceRows = sourceListing) {
  const source = new ScriptedRunner('root@src:22', (argv) => {
    if (argv[1] === 'list') return { stdout: sourceRows };
    if (argv[1] === 'send') return { stdout: 'size\t4096\n' };
    return {};
  });
  const destination = new ScriptedRunner('root@dst:22', (argv) => {
    if (argv[1] === 'list' && argv.includes('filesystem,volume')) {
      // name type guid createtxg creation used available referenced encryption encryptionroot keystatus readonly origin receive_resume_token mounted mountpoint
      return { stdout: row('backup/r', 'filesystem', '200', 3, 1700000000, 1000, 5000000, 1000, 'off', '-', '-', 'off', '-', '-', 'yes', '/backup/r') };
    }
    if (argv[1] === 'list') return destinationListing === null ? { exitCode: 1, stderr: "cannot open 'backup/r': dataset does not exist" } : { stdout: destinationListing };
    return {};
  });
  const nas = async (id: string): Promise<EngineNas> =>
    id === sourceId
      ? { host: { runner: source, capabilities: testCapabilities }, privilege: 'root', label: source.label }
      : { host: { runner: destination, capabilities: testCapabilities }, privilege: 'root', label: destination.label };
  return { source, destination, nas };
}

const task = (overrides: Partial<ReplicationTaskInput> = {}) =>
  ReplicationTaskSchema.parse({
    id: '33333333-3333-4333-8333-333333333333',
    name: 'nightly',
    sourceConnectionId: sourceId,
    sources: [{ name: 'tank/data' }],
    destinationConnectionId: destinationId,
    destinationParent: 'backup/r',
    transport: { kind: 'relay' },
    selection: { kind: 'all' },
    ...overrides,
  });

describe('runReplicationTask (dry run)', () => {
  it('encrypt-on-destination: the missing parent becomes an encryption root; the key goes on stdin only, never in a command', async () => {
    const key = 'ab'.repeat(32);
    const { nas, destination } = sides(null);
    const report = await runReplicationTask(task({ encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex', key } }), { nas }, { dryRun: true });
    expect(report.error).toBeNull();
    expect(report.datasets[0]!.commands).toEqual([
      '/usr/sbin/zfs create -o encryption=on -o keyformat=hex -o keylocation=prompt backup/r',
      '/usr/sbin/zfs send -L -c -p tank/data@s1 | /usr/sbin/zfs receive -s -u -o readonly=on -x encryption backup/r/data',
    ]);
    expect(JSON.stringify(report)).not.toContain(key);
    // A dry run changes nothing: only listings on the destination.
    expect(destination.calls.map((c) => c.argv[1])).toEqual(['list']);
  });

  it('encrypt-on-destination without a stored or given key: asks for it, runs nothing', async () => {
    const { nas, source } = sides(null);
    const report = await runReplicationTask(task({ encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase' } }), { nas }, { dryRun: true });
    expect(report.result).toBe('FAILED');
    expect(report.error).toMatchObject({ code: 'INVALID_REQUEST', details: { needs: 'destinationKey' } });
    expect(source.calls).toEqual([]);
    // A short hex key is refused when the task is saved, and by a run of a task that bypassed that (a hand-edited file).
    const shortKey = { encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex', key: 'abcdefgh' } } as const;
    expect(() => task(shortKey)).toThrow('64 hexadecimal digits');
    const short = await runReplicationTask({ ...task(), ...shortKey }, { nas }, { dryRun: true });
    expect(short.error).toMatchObject({ code: 'INVALID_REQUEST', details: { issues: [{ field: 'encryption.key' }] } });
    expect(short.error?.message).toContain('64 hexadecimal digits');
    expect(source.calls).toEqual([]);
    // A key given for one run is checked by the same rule.
    const given = await runReplicationTask(task({ encryption: { kind: 'encrypt-on-destination', keyFormat: 'hex' } }), { nas }, { dryRun: true, destinationKey: 'abcdefgh' });
    expect(given.error?.message).toContain('64 hexadecimal digits');
  });

  it('an existing unencrypted parent is refused for encrypt-on-destination (the replicas would be plain text)', async () => {
    const { nas } = sides(row('backup/r', 'filesystem', '200', 3, 1000, 0, '-', 'off', '-', 'off', '-', '-'));
    const report = await runReplicationTask(task({ encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key: 'long enough' } }), { nas }, { dryRun: true });
    expect(report.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'The destination parent backup/r on root@dst:22 is not encrypted; replicas received there would be stored in plain text.' });
  });

  it('a property both excluded and overridden is refused before any command', async () => {
    const { nas, source } = sides(null);
    const both = { properties: { replicate: true, exclude: ['compression'], override: { compression: 'zstd' } } };
    // Refused when saved, and by a run of a task that was not (a hand-edited settings file).
    expect(() => task(both)).toThrow('Property compression is both excluded and overridden');
    const report = await runReplicationTask({ ...task(), ...both }, { nas }, { dryRun: true });
    expect(report.error).toMatchObject({ code: 'INVALID_REQUEST', details: { issues: [{ field: 'properties.override.compression' }] } });
    expect(report.error?.message).toContain('Property compression is both excluded and overridden');
    expect(source.calls).toEqual([]);
  });

  it('excluded and overridden properties reach zfs receive as -x and -o', async () => {
    const { nas } = sides(null);
    const report = await runReplicationTask(task({ properties: { replicate: true, exclude: ['compression', 'org.example:x'], override: { 'org.example:role': 'replica' } } }), { nas }, { dryRun: true });
    expect(report.datasets[0]!.commands[1]).toBe(
      '/usr/sbin/zfs send -L -c -e -p tank/data@s1 | /usr/sbin/zfs receive -s -u -o readonly=on -o org.example:role=replica -x compression -x org.example:x backup/r/data',
    );
  });

  it('an incremental into a replica that is already read-only passes -x readonly, not -o readonly=on (no property write per snapshot)', async () => {
    const twoSnapshots = [sourceListing, row('tank/data@s2', 'snapshot', '102', 7, 0, '-', 0, 'off', '-', '-', '-', '-')].join('\n');
    const replica = (readonly: 'on' | 'off') =>
      [
        row('backup/r', 'filesystem', '200', 3, 1000, 0, '-', 'off', '-', 'off', '-', '-'),
        row('backup/r/data', 'filesystem', '300', 4, 1000, 0, '-', 'off', '-', readonly, '-', '-'),
        row('backup/r/data@s1', 'snapshot', '101', 5, 0, '-', 0, 'off', '-', '-', '-', '-'),
      ].join('\n');
    const incrementalInto = async (readonly: 'on' | 'off', overrides: Partial<ReplicationTaskInput> = {}) => {
      const { nas } = sides(replica(readonly), twoSnapshots);
      const report = await runReplicationTask(task(overrides), { nas }, { dryRun: true });
      expect(report.result).toBe('DRY_RUN');
      return report.datasets[0]!.commands.at(-1);
    };
    expect(await incrementalInto('on')).toBe('/usr/sbin/zfs send -L -c -e -p -i tank/data@s1 tank/data@s2 | /usr/sbin/zfs receive -s -u -x readonly backup/r/data');
    // Someone made the replica writable: the receive makes it read-only again.
    expect(await incrementalInto('off')).toBe('/usr/sbin/zfs send -L -c -e -p -i tank/data@s1 tank/data@s2 | /usr/sbin/zfs receive -s -u -o readonly=on backup/r/data');
    // An explicit override of readonly wins over the shortcut.
    expect(await incrementalInto('on', { properties: { replicate: true, exclude: [], override: { readonly: 'off' } } })).toBe(
      '/usr/sbin/zfs send -L -c -e -p -i tank/data@s1 tank/data@s2 | /usr/sbin/zfs receive -s -u -o readonly=off backup/r/data',
    );
  });

  it('properties (-p) go with the full send and the last incremental; later steps of a new replica keep it read-only with -x', async () => {
    const chain = [
      sourceListing,
      row('tank/data@manual', 'snapshot', '102', 7, 0, '-', 0, 'off', '-', '-', '-', '-'),
      row('tank/data@s2', 'snapshot', '103', 8, 0, '-', 0, 'off', '-', '-', '-', '-'),
      row('tank/data@s3', 'snapshot', '104', 9, 0, '-', 0, 'off', '-', '-', '-', '-'),
    ].join('\n');
    const { nas } = sides(null, chain);
    const report = await runReplicationTask(task({ selection: { kind: 'regex', pattern: '^s' } }), { nas }, { dryRun: true });
    expect(report.datasets[0]!.commands.slice(1)).toEqual([
      '/usr/sbin/zfs send -L -c -e -p tank/data@s1 | /usr/sbin/zfs receive -s -u -o readonly=on backup/r/data',
      '/usr/sbin/zfs send -L -c -e -i tank/data@s1 tank/data@s2 | /usr/sbin/zfs receive -s -u -x readonly backup/r/data',
      '/usr/sbin/zfs send -L -c -e -p -i tank/data@s2 tank/data@s3 | /usr/sbin/zfs receive -s -u -x readonly backup/r/data',
    ]);
  });

  it("the destination prune is decideRetention's answer for the same request (a keep grid here), each item with its reason", async () => {
    const day = (d: number) => `auto-2026-11-${String(d).padStart(2, '0')}_00-00`;
    const snapshotRow = (dataset: string, d: number, userrefs = 0) => row(`${dataset}@${day(d)}`, 'snapshot', String(1000 + d), 10 + d, 4096, '-', userrefs, 'off', '-', '-', '-', '-');
    const sourceRows = [row('tank/data', 'filesystem', '100', 5, 1000, 0, '-', 'off', '-', 'off', '-', '-'), ...[14, 15, 16, 17, 18, 19, 20, 21].map((d) => snapshotRow('tank/data', d, d === 20 ? 1 : 0))].join('\n');
    const replicaDays = Array.from({ length: 20 }, (_, i) => i + 1);
    const replica = [
      row('backup/r', 'filesystem', '200', 3, 1000, 0, '-', 'off', '-', 'off', '-', '-'),
      row('backup/r/data', 'filesystem', '300', 4, 1000, 0, '-', 'off', '-', 'on', '-', '-'),
      ...replicaDays.map((d) => snapshotRow('backup/r/data', d, d === 20 ? 1 : 0)),
    ].join('\n');
    const { nas } = sides(replica, sourceRows);
    const grid = { kind: 'grid', daily: 3 } as const;
    const now = new Date('2026-11-21T12:00:00Z');
    const report = await runReplicationTask(task({ selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] }, destinationLifetime: grid }), { nas, now: () => now }, { dryRun: true });
    expect(report.result).toBe('DRY_RUN');
    const dataset = report.datasets[0]!;
    expect(dataset.plan).toMatchObject({ status: 'ready', base: day(20) });
    const review = decideRetention({
      snapshots: replicaDays.map((d) => ({ name: day(d), holds: d === 20 ? 1 : 0 })),
      policy: grid,
      namingSchemas: ['auto-%Y-%m-%d_%H-%M'],
      now: now.getTime(),
      commonBases: [{ taskId: task().id, name: day(20) }],
      sourceNames: [14, 15, 16, 17, 18, 19, 20, 21].map(day),
    });
    expect(dataset.prune).toEqual(prunedNames(review));
    expect(dataset.prune).toEqual(Array.from({ length: 17 }, (_, i) => day(i + 1)));
    const items = dataset.destruction[0]!.items;
    expect(items.map((item) => item.name)).toEqual(dataset.prune.map((name) => `backup/r/data@${name}`));
    expect(items[0]!.note).toBe('older than every keep rule reaches');
  });

  it('the report is plain data: JSON round-trips it unchanged', async () => {
    const { nas } = sides(null);
    const report = await runReplicationTask(task(), { nas, now: () => new Date('2026-11-21T10:00:00Z') }, { dryRun: true });
    expect(report.result).toBe('DRY_RUN');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    // ...and exactly the contract's shape (strict: no field the schema does not name).
    expect(RunReportSchema.parse(report)).toEqual(report);
  });
});

describe('runReplicationTask (a no-op cron cycle)', () => {
  /** The lock as the NAS answers it: "locked" at once, held until the run closes the channel's stdin. */
  function lockingSides(destinationListing: string) {
    const scripted = sides(destinationListing, heldSource);
    const run = scripted.source.run.bind(scripted.source);
    scripted.source.run = async (argv, options) => {
      if (argv[0] !== 'sh' || !String(argv[2]).includes('flock')) return run(argv, options);
      scripted.source.calls.push({ argv: [...argv], options });
      options?.onStdout?.(Buffer.from(`locked ${argv[7]}\n`));
      const stdin = options?.stdin;
      if (stdin instanceof Readable) await new Promise<void>((resolve) => stdin.on('end', resolve).resume());
      return { exitCode: 0, stdout: 'locked\n', stderr: '' };
    };
    return scripted;
  }
  const replicaRows = (userRefs: number) =>
    [row('backup/r', 'filesystem', '200', 3, 1000, 0, '-', 'off', '-', 'on', '-', '-'), row('backup/r/data', 'filesystem', '300', 4, 1000, 0, '-', 'off', '-', 'on', '-', '-'), row('backup/r/data@s1', 'snapshot', '101', 5, 0, '-', userRefs, 'off', '-', '-', '-', '-')].join('\n');
  /** The source's base carries the task's hold (userrefs 1), as a finished run leaves it. */
  const heldSource = sourceListing.replace('tank/data@s1\tsnapshot\t101\t6\t0\t-\t0', 'tank/data@s1\tsnapshot\t101\t6\t0\t-\t1');
  const kinds = (runner: ScriptedRunner) => runner.calls.map((c) => (c.argv[0] === 'sh' ? 'sh' : `zfs ${c.argv[1]}`));

  it('is the lock and one listing per side: no tool check, no estimate, no hold moved', async () => {
    const { nas, source, destination } = lockingSides(replicaRows(1));
    const report = await runReplicationTask(task({ compression: 'zstd' }), { nas }, { estimate: false });
    expect(report.error).toBeNull();
    expect(report.datasets[0]!.plan.status).toBe('up-to-date');
    expect(kinds(source)).toEqual(['sh', 'zfs list']);
    expect(kinds(destination)).toEqual(['zfs list']);
  });

  it('holds again a common snapshot whose hold is gone on one side, and only there', async () => {
    const { nas, source, destination } = lockingSides(replicaRows(0));
    const report = await runReplicationTask(task(), { nas }, { estimate: false });
    expect(report.error).toBeNull();
    expect(kinds(destination)).toEqual(['zfs list', 'zfs hold']);
    expect(destination.calls[1]!.argv.slice(2)).toEqual(['zfs-replication:33333333-3333-4333-8333-333333333333', 'backup/r/data@s1']);
    // The source's base is held already: nothing moves there.
    expect(kinds(source)).toEqual(['sh', 'zfs list']);
  });
});

describe('runReplicationTask (direct mode, the cron cycle)', () => {
  const direct = { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'root' } as const;
  /** Source: @s1 (the common base, held) and @s2, `written` bytes after it; the replica has @s1. */
  function directSides(written: number) {
    const sourceRows = [
      row('tank/data', 'filesystem', '100', 5, 1000, 0, '-', 'off', '-', 'off', '-', '-'),
      row('tank/data@s1', 'snapshot', '101', 6, 0, 0, 1, 'off', '-', '-', '-', '-'),
      row('tank/data@s2', 'snapshot', '102', 7, 0, written, 0, 'off', '-', '-', '-', '-'),
    ].join('\n');
    const replica = [
      row('backup/r', 'filesystem', '200', 3, 1000, 0, '-', 'off', '-', 'on', '-', '-'),
      row('backup/r/data', 'filesystem', '300', 4, 1000, 0, '-', 'off', '-', 'on', '-', '-'),
      row('backup/r/data@s1', 'snapshot', '101', 5, 0, 0, 1, 'off', '-', '-', '-', '-'),
    ].join('\n');
    const scripted = sides(replica, sourceRows);
    for (const runner of [scripted.source, scripted.destination]) {
      const answer = runner.run.bind(runner);
      runner.run = async (argv, options) => {
        const script = String(argv[2] ?? '');
        if (argv[0] === 'sh' && script.includes('flock')) {
          runner.calls.push({ argv: [...argv], options });
          options?.onStdout?.(Buffer.from(`locked ${argv[7]}\n`));
          const stdin = options?.stdin;
          if (stdin instanceof Readable) await new Promise<void>((resolve) => stdin.on('end', resolve).resume());
          return { exitCode: 0, stdout: 'locked\n', stderr: '' };
        }
        // The tool check: every tool asked for is there.
        if (argv[0] === 'sh' && script.includes('command -v')) {
          runner.calls.push({ argv: [...argv], options });
          return { exitCode: 0, stdout: argv.slice(4).join('\n'), stderr: '' };
        }
        return answer(argv, options);
      };
    }
    return scripted;
  }
  const sshToDestination = (runner: ScriptedRunner) => runner.calls.filter((c) => c.argv[0] === 'sh' && c.argv.some((word) => /\bssh\b.*\bnas-b\b/.test(word)));

  it('an increment of 1 MiB or less goes through this computer: no NAS-to-NAS connection for it', async () => {
    const { nas, source, destination } = directSides(64 * 1024);
    const logs: string[] = [];
    const report = await runReplicationTask(task({ transport: direct }), { nas, emit: (e) => e.kind === 'log' && logs.push(e.message) }, { estimate: false });
    expect(report.error).toBeNull();
    expect(sshToDestination(source)).toEqual([]);
    expect(source.calls.some((c) => c.argv[1] === 'send' && c.argv.includes('-i'))).toBe(true);
    expect(destination.calls.some((c) => c.argv[1] === 'receive')).toBe(true);
    expect(logs.join('\n')).toContain('1 of 1 incremental stream(s) are 1.0 MiB or less: they go through this computer');
  });

  it('a larger increment stays direct: the source sends it to the destination itself', async () => {
    const { nas, source, destination } = directSides(8 * 1024 * 1024);
    const report = await runReplicationTask(task({ transport: direct }), { nas }, { estimate: false });
    expect(report.error).toBeNull();
    expect(sshToDestination(source)).toHaveLength(1);
    expect(destination.calls.some((c) => c.argv[1] === 'receive')).toBe(false);
  });

  it('a stream that breaks after 3,000 bytes records them: the failed run says what crossed, not 0 B', async () => {
    const { nas, source, destination } = directSides(64 * 1024);
    const answer = source.run.bind(source);
    source.run = async (argv, options) => {
      if (argv[1] !== 'send' || argv.includes('-nP')) return answer(argv, options);
      source.calls.push({ argv: [...argv], options });
      await new Promise<void>((resolve) => options!.stdoutTo!.write(Buffer.alloc(3000), () => resolve()));
      throw new AppFailure('HOST_UNREACHABLE', 'Lost the connection to root@src:22 while running "zfs send".');
    };
    const receiving = destination.run.bind(destination);
    destination.run = async (argv, options) => {
      const stdin = options?.stdin;
      if (argv[1] !== 'receive' || !(stdin instanceof Readable)) return receiving(argv, options);
      destination.calls.push({ argv: [...argv], options });
      // The receive reads until the pair is stopped (its half failed first), as the runner does: CANCELLED.
      await new Promise<void>((resolve) => {
        stdin.resume();
        options!.signal!.addEventListener('abort', () => resolve(), { once: true });
      });
      throw new AppFailure('CANCELLED', 'root@dst:22: "zfs receive" was cancelled.');
    };
    const report = await runReplicationTask(task({ transport: direct }), { nas }, { estimate: false });
    expect(report.result).toBe('FAILED');
    expect(report.error?.code).toBe('HOST_UNREACHABLE');
    expect(report.bytesSent).toBe(3000);
    expect(report.datasets[0]!.bytesSent).toBe(3000);
  });
});
