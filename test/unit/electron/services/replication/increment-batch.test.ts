import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { holdTagOf } from '../../../../../electron/services/replication/hold-tags.ts';
import { runReplicationTask, type EngineNas } from '../../../../../electron/services/replication/replication-engine.ts';
import { transferStreams, type BatchedStream, type TransferSide } from '../../../../../electron/services/replication/stream-transfer.ts';
import type { RunOptions, RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { failureFromStderr } from '../../../../../electron/services/ssh/stderr-error-table.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { ReplicationTaskSchema } from '../../../../../shared/task-schemas.ts';
import { LocalShellRunner } from '../ssh/local-shell-runner.ts';
import { FakeNas } from '../tasks/fake-nas.ts';
import { testCapabilities } from '../zfs/fake-runner.ts';

const sourceId = '11111111-1111-4111-8111-111111111111';
const destinationId = '22222222-2222-4222-8222-222222222222';

// The batch's two shell scripts run for real in this machine's sh, with a stand-in `zfs` whose streams are three
// lines (BEGIN, a payload, END) and whose receive reads exactly one of them, as zfs receive reads exactly one stream:
// what is checked is the scripts (order, markers, stopping at the first failure, bytes left over), not ZFS.

const home = mkdtempSync(path.join(tmpdir(), 'zrd-batch-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
const fakeZfs = path.join(home, 'zfs');
writeFileSync(
  fakeZfs,
  `#!/bin/sh
verb=$1; shift
for target in "$@"; do :; done
case $verb in
  send)
    case $target in *extra*) printf 'BEGIN %s\\npayload %s\\nEND\\nstray\\n' "$target" "$target";; *) printf 'BEGIN %s\\npayload %s\\nEND\\n' "$target" "$target";; esac;;
  receive)
    IFS= read -r begin || { echo "cannot receive: failed to read from stream" >&2; exit 1; }
    IFS= read -r payload; IFS= read -r end
    [ "$end" = END ] || { echo "cannot receive: invalid stream" >&2; exit 1; }
    case $target in *modified*) echo "cannot receive incremental stream: destination $target has been modified since most recent snapshot" >&2; exit 1;; esac
    printf '%s <- %s\\n' "$target" "$begin" >> "$HOME/received";;
esac
`,
);
chmodSync(fakeZfs, 0o755);

const side = (label: string): TransferSide => ({ runner: new LocalShellRunner(label, home), tools: { zfs: fakeZfs, zpool: '/bin/false' }, privilege: 'root' });
const stream = (name: string): BatchedStream => ({
  send: { kind: 'incremental', from: `tank/${name}@s1`, snapshot: `tank/${name}@s2`, intermediates: false },
  sendFlags: { compact: true, properties: true },
  receive: { target: `backup/${name}`, excludeProperties: ['readonly'] },
});
const streamBytes = (name: string) => Buffer.byteLength(`BEGIN tank/${name}@s2\npayload tank/${name}@s2\nEND\n`);

async function batch(names: string[], compression: 'none' | 'xz' = 'none') {
  rmSync(path.join(home, 'received'), { force: true });
  const sent: Array<[number, number]> = [];
  const received: number[] = [];
  const source = side('root@src');
  const destination = side('root@dst');
  const outcome = await transferStreams({
    source,
    destination,
    streams: names.map(stream),
    compression,
    bandwidthLimitKiBps: null,
    onSent: (index, bytes) => sent.push([index, bytes]),
    onReceived: (index) => received.push(index),
  }).then(
    (result) => ({ result, error: null }),
    (error: unknown) => ({ result: null, error: error as AppFailure }),
  );
  let log = '';
  try {
    log = readFileSync(path.join(home, 'received'), 'utf8');
  } catch {
    // nothing arrived
  }
  return { ...outcome, sent, received, log, commands: [...(source.runner as LocalShellRunner).commands, ...(destination.runner as LocalShellRunner).commands] };
}

describe('transferStreams (several incremental streams through one shell per side)', () => {
  it('sends and receives every stream in order through one command per side; each receive takes exactly its stream', async () => {
    const { result, error, sent, received, log, commands } = await batch(['a', 'b', 'c']);
    expect(error).toBeNull();
    expect(commands).toHaveLength(2);
    expect(log).toBe('backup/a <- BEGIN tank/a@s2\nbackup/b <- BEGIN tank/b@s2\nbackup/c <- BEGIN tank/c@s2\n');
    expect(received).toEqual([0, 1, 2]);
    expect(sent.map(([index]) => index)).toEqual([0, 1, 2]);
    expect(result!.bytes).toBe(streamBytes('a') + streamBytes('b') + streamBytes('c'));
    // The commands are the ones a single transfer runs (and a dry run shows), one after another.
    expect(commands[0]!.join(' ')).toContain(`${fakeZfs} send -L -c -p -i tank/a@s1 tank/a@s2 || exit`);
    expect(commands[1]!.join(' ')).toContain(`${fakeZfs} receive -s -u -x readonly backup/c || exit`);
  });

  it('compressed: one compressor for the whole batch on the source, one decompressor on the destination', async () => {
    const { error, received, log, commands } = await batch(['a', 'b'], 'xz');
    expect(error).toBeNull();
    expect(received).toEqual([0, 1]);
    expect(log.split('\n').filter(Boolean)).toHaveLength(2);
    expect(commands[0]!.join(' ')).toMatch(/\} \| xz -c -1$/);
    expect(commands[1]!.join(' ')).toMatch(/sh -c xz -dc \| \{/);
  });

  it('stops at the first stream that fails: those before it arrived and are told, none after it is received', async () => {
    const { error, received, log } = await batch(['a', 'b-modified', 'c']);
    expect(error).toBeInstanceOf(AppFailure);
    expect(error!.message).toContain('backup/b-modified');
    expect(received).toEqual([0]);
    expect(log).toBe('backup/a <- BEGIN tank/a@s2\n');
  });

  it('bytes left after the last stream fail the batch: streams and receives out of step are never guessed at', async () => {
    const { error, received } = await batch(['a', 'b-extra']);
    expect(received).toEqual([0, 1]);
    expect(error).toBeInstanceOf(AppFailure);
    expect(error!.appError.details).toMatchObject({ exitCode: 65 });
    expect(`${error!.message} ${JSON.stringify(error!.appError.details)}`).toContain('unexpected bytes after the last of 2 streams');
  });
});

// ---- the engine: a recursive task whose every dataset has one new snapshot ----------------------------------

/**
 * A FakeNas that also sends and receives: a stream is one line "STREAM <snapshot> <guid>", single or batched;
 * a receive into a target named in `refuse` fails as a written-to replica does.
 */
class StreamingNas extends FakeNas {
  readonly refuse = new Set<string>();
  override async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const script = argv[0] === 'sh' ? (argv[2] ?? '') : '';
    if (script.includes('zrd-sent')) return this.#record(argv, () => this.#sendAll([...script.matchAll(/ send .* (\S+@\S+) \|\| exit/g)].map((m) => m[1]!), options));
    if (script.includes('zrd-received')) return this.#record(argv, () => this.#receiveAll([...script.matchAll(/ receive .* (\S+) \|\| exit/g)].map((m) => m[1]!), options));
    if (argv[1] === 'send' && !argv.includes('-n')) return this.#record(argv, () => this.#sendAll([argv.at(-1)!], options));
    if (argv[1] === 'receive') return this.#record(argv, () => this.#receiveAll([argv.at(-1)!], options));
    return super.run(argv, options);
  }

  async #record(argv: readonly string[], work: () => Promise<RunResult>): Promise<RunResult> {
    this.calls.push({ argv: [...argv], stdin: null });
    return work();
  }

  async #sendAll(snapshots: string[], options: RunOptions): Promise<RunResult> {
    for (const [index, full] of snapshots.entries()) {
      options.stdoutTo!.write(`STREAM ${full} ${this.snapshot(full)!.guid}\n`);
      options.onStderr?.(Buffer.from(`zrd-sent ${index}\n`));
    }
    options.stdoutTo!.end();
    return { exitCode: 0, stdout: '', stderr: '' };
  }

  async #receiveAll(targets: string[], options: RunOptions): Promise<RunResult> {
    let input = '';
    for await (const chunk of options.stdin as Readable) input += String(chunk);
    const streams = input.split('\n').filter(Boolean);
    for (const [index, target] of targets.entries()) {
      if (this.refuse.has(target)) {
        throw failureFromStderr({ label: this.label, command: `zfs receive ${target}`, exitCode: 1, stderr: `cannot receive incremental stream: destination ${target} has been modified\nsince most recent snapshot\n` });
      }
      const [, full, guid] = streams[index]!.split(' ');
      this.addSnapshot(target, full!.split('@')[1]!, { guid: guid! });
      if (targets.length > 1) options.onStdout?.(Buffer.from(`zrd-received ${index}\n`));
    }
    return { exitCode: 0, stdout: '', stderr: '' };
  }
}

describe('a cycle of single increments (the engine)', () => {
  const taskId = '44444444-4444-4444-8444-444444444444';
  const tag = holdTagOf(taskId);
  const names = ['data', 'data/a', 'data/b', 'data/c'];

  function fleet() {
    const source = new StreamingNas('root@src:22', 'tank');
    const destination = new StreamingNas('root@dst:22', 'backup');
    destination.addDataset('backup/r');
    for (const name of names) {
      source.addDataset(`tank/${name}`);
      const s1 = source.addSnapshot(`tank/${name}`, 's1', { holds: [tag] });
      source.addSnapshot(`tank/${name}`, 's2');
      destination.addDataset(`backup/r/${name}`, { readonly: true });
      destination.addSnapshot(`backup/r/${name}`, 's1', { guid: s1.guid, holds: [tag] });
    }
    const nas = async (id: string): Promise<EngineNas> => {
      const runner = id === sourceId ? source : destination;
      return { host: { runner, capabilities: testCapabilities }, privilege: 'root', label: runner.label };
    };
    const task = ReplicationTaskSchema.parse({ id: taskId, name: 'cycle', sourceConnectionId: sourceId, sources: [{ name: 'tank/data', recursive: true }], destinationConnectionId: destinationId, destinationParent: 'backup/r', transport: { kind: 'relay' }, selection: { kind: 'all' } });
    const streamCommands = (nas: FakeNas) => nas.calls.filter((c) => c.argv[0] === 'sh' ? / (send|receive) /.test(c.argv[2] ?? '') : c.argv[1] === 'receive' || (c.argv[1] === 'send' && !c.argv.includes('-n')));
    const heldAt = (nas: FakeNas, pool: string) => names.map((name) => nas.datasets.get(`${pool}/${name}`)!.snapshots.filter((s) => s.holds.includes(tag)).map((s) => s.name).join());
    return { source, destination, nas, task, streamCommands, heldAt };
  }

  it('sends the whole tree through one command per side, then holds the new pair and releases the old one', async () => {
    const { source, destination, nas, task, streamCommands, heldAt } = fleet();
    const report = await runReplicationTask(task, { nas }, { estimate: false });
    expect(report.error).toBeNull();
    expect(streamCommands(source)).toHaveLength(1);
    expect(streamCommands(destination)).toHaveLength(1);
    expect(report.datasets.map((d) => d.snapshotsSent)).toEqual([1, 1, 1, 1]);
    expect(names.map((name) => destination.snapshot(`backup/r/${name}@s2`)?.guid)).toEqual(names.map((name) => source.snapshot(`tank/${name}@s2`)!.guid));
    expect(report.bytesSent).toBe(report.datasets.reduce((sum, d) => sum + d.bytesSent, 0));
    expect(heldAt(source, 'tank')).toEqual(['s2', 's2', 's2', 's2']);
    expect(heldAt(destination, 'backup/r')).toEqual(['s2', 's2', 's2', 's2']);
  });

  it('a stream that fails stops the batch: what arrived is kept and held, the failing dataset is listed again and tried alone, the rest is not sent', async () => {
    const { source, destination, nas, task, streamCommands, heldAt } = fleet();
    destination.refuse.add('backup/r/data/b');
    const report = await runReplicationTask(task, { nas }, { estimate: false });
    expect(report.result).toBe('FAILED');
    expect(report.error?.message).toContain('backup/r/data/b');
    // The batch, then backup/r/data/b alone (its error is what the run reports); data/c never sent.
    expect(streamCommands(destination).map((c) => (c.argv[0] === 'sh' ? 'batch' : c.argv.at(-1)))).toEqual(['batch', 'backup/r/data/b']);
    expect(destination.calls.some((c) => c.argv[1] === 'list' && c.argv.at(-1) === 'backup/r/data/b')).toBe(true);
    expect(report.datasets.map((d) => d.snapshotsSent)).toEqual([1, 1, 0, 0]);
    expect(heldAt(source, 'tank')).toEqual(['s2', 's2', 's1', 's1']);
    expect(heldAt(destination, 'backup/r')).toEqual(['s2', 's2', 's1', 's1']);
  });
});
