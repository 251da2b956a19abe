import type { Readable } from 'node:stream';
import { buildCommandLine, type CommandRunner, type EmbeddedCommand, type EmbeddedOutcome, type RunOptions, type RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { failureFromStderr } from '../../../../../electron/services/ssh/stderr-error-table.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { fixture } from '../zfs/fake-runner.ts';

// A NAS at the runner seam: a small in-memory ZFS (datasets, snapshots, holds, a few properties) answering the
// commands the services build, field by field from each command's own `-o` list, so the real parsers read it. It
// records every command with its stdin. Sends are not modelled here (increment-batch.test.ts adds them for its own).

export interface FakeSnapshot {
  name: string;
  guid: string;
  createtxg: number;
  holds: string[];
}

export interface FakeDataset {
  name: string;
  guid: string;
  createtxg: number;
  encryption: string;
  encryptionRoot: string | null;
  keyStatus: 'available' | 'unavailable' | null;
  /** The key `zfs load-key -L prompt` accepts (encryption roots only). */
  key: string | null;
  readonly: boolean;
  promoted: string | null;
  snapshots: FakeSnapshot[];
}

export interface FakeCall {
  argv: string[];
  /** Text fed on stdin; null when none or a stream. */
  stdin: string | null;
  /** Set when it ran inside another command's script (the task lock's shell), not on a channel of its own. */
  via?: string;
}

const none = '-';

export class FakeNas implements CommandRunner {
  readonly label: string;
  readonly pool: string;
  readonly calls: FakeCall[] = [];
  readonly datasets = new Map<string, FakeDataset>();
  /** The task lock: the owner line while a run holds it. */
  lock: { held: boolean; owner: string | null } = { held: false, owner: null };
  /** Lock files left on the NAS (what reset removes). */
  lockFiles: string[] = [];
  unreachable = false;
  /** Byte size of the pieces the lock's shell output arrives in (as over ssh, split anywhere). */
  chunkBytes = 7;
  /** The command lines embed() made, back to their argv. */
  readonly #embedded = new Map<string, { argv: string[]; via: string }>();
  #txg = 100;
  #guid = 1000;

  constructor(label: string, pool: string) {
    this.label = label;
    this.pool = pool;
  }

  addDataset(name: string, fields: Partial<Omit<FakeDataset, 'name' | 'snapshots'>> = {}): FakeDataset {
    const dataset: FakeDataset = { name, guid: String(this.#guid++), createtxg: this.#txg++, encryption: 'off', encryptionRoot: null, keyStatus: null, key: null, readonly: false, promoted: null, snapshots: [], ...fields };
    this.datasets.set(name, dataset);
    return dataset;
  }

  addSnapshot(dataset: string, name: string, fields: { guid?: string; holds?: string[] } = {}): FakeSnapshot {
    const owner = this.datasets.get(dataset);
    if (!owner) throw new Error(`fake: no dataset ${dataset}`);
    const snapshot = { name, guid: fields.guid ?? String(this.#guid++), createtxg: this.#txg++, holds: fields.holds ?? [] };
    owner.snapshots.push(snapshot);
    return snapshot;
  }

  snapshot(full: string): FakeSnapshot | undefined {
    const [dataset, name] = full.split('@');
    return this.datasets.get(dataset!)?.snapshots.find((s) => s.name === name);
  }

  /** Commands that change something (everything but listings, probes and checks). */
  changes(): string[][] {
    const reads = new Set(['list', 'get', 'holds', 'version', 'allow']);
    return this.calls.map((c) => c.argv).filter((argv) => argv[0]!.endsWith('zfs') && !reads.has(argv[1]!) && !(argv[1] === 'destroy' && argv.includes('-n')) && !(argv[1] === 'send' && argv.includes('-n')));
  }

  async run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    // Like the ssh runner: a gated command starts (and is seen by the NAS) only once its gate opens.
    await options.startWhen;
    if (this.unreachable) throw new AppFailure('HOST_UNREACHABLE', `${this.label} does not answer.`, 'Check that the NAS is on and reachable.');
    const stdin = typeof options.stdin === 'string' ? options.stdin : Buffer.isBuffer(options.stdin) ? options.stdin.toString('utf8') : null;
    this.calls.push({ argv: [...argv], stdin });
    const result: RunResult = { exitCode: 0, stdout: '', stderr: '', ...(await this.#answer(argv, options)) };
    if (!(options.expectedExitCodes ?? [0]).includes(result.exitCode)) {
      throw failureFromStderr({ label: this.label, command: argv.join(' '), exitCode: result.exitCode, stderr: result.stderr });
    }
    return result;
  }

  embed(argv: readonly string[], options: { via: string }): EmbeddedCommand {
    const line = buildCommandLine(argv);
    this.#embedded.set(line, { argv: [...argv], via: options.via });
    return {
      line,
      settle: (outcome: EmbeddedOutcome, runOptions: Pick<RunOptions, 'expectedExitCodes'> = {}): RunResult => {
        if ('error' in outcome) throw outcome.error;
        const { exitCode, stdout, stderr } = outcome;
        if (!(runOptions.expectedExitCodes ?? [0]).includes(exitCode)) throw failureFromStderr({ label: this.label, command: argv.join(' '), exitCode, stderr });
        return { exitCode, stdout, stderr };
      },
    };
  }

  /** What the lock script prints after "locked": each embedded command's output, framed by the nonce's markers. */
  async #runEmbedded(nonce: string, lines: readonly string[], options: RunOptions): Promise<void> {
    for (const line of lines) {
      const embedded = this.#embedded.get(line);
      if (!embedded) throw new Error(`fake: unknown embedded command ${line}`);
      this.calls.push({ argv: embedded.argv, stdin: null, via: embedded.via });
      const answer: RunResult = { exitCode: 0, stdout: '', stderr: '', ...(await this.#answer(embedded.argv, {})) };
      this.#emit(options.onStdout, `${answer.stdout}\n${nonce} exit ${answer.exitCode}\n`);
      this.#emit(options.onStderr, `${answer.stderr}\n${nonce} end\n`);
    }
  }

  #emit(to: ((chunk: Buffer) => void) | undefined, text: string): void {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += this.chunkBytes) to?.(bytes.subarray(at, at + this.chunkBytes));
  }

  async #answer(argv: readonly string[], options: RunOptions): Promise<Partial<RunResult>> {
    const [command, verb] = argv;
    if (command === 'true') return {};
    if (command === 'id') return { stdout: 'root\n' };
    if (command === 'sh') return this.#script(argv[2] ?? '', argv.slice(4), options);
    if (command?.endsWith('zpool') && verb === 'list') return { stdout: this.#rows(argv, [{ name: this.pool, guid: '42', health: 'ONLINE', size: '4026531840', allocated: '5951488', free: '4020580352', capacity: '1', fragmentation: '0', readonly: 'off' }]) };
    if (!command?.endsWith('zfs')) throw new Error(`fake: unexpected command ${argv.join(' ')}`);
    const target = argv.at(-1)!;
    switch (verb) {
      case 'version':
        return { stdout: 'zfs-2.3.2-2~bpo12+2\nzfs-kmod-2.3.2-2~bpo12+2\n' };
      case 'list':
        return this.#list(argv);
      case 'get':
        return this.#get(argv);
      case 'holds':
        return { stdout: argv.slice(4).flatMap((full) => (this.snapshot(full)?.holds ?? []).map((tag) => `${full}\t${tag}\t1700000000\n`)).join('') };
      case 'hold':
      case 'release': {
        // `zfs hold|release [-r] TAG snap...`: many snapshots in one command; -r: that snapshot of every dataset below too.
        const recursive = argv[2] === '-r';
        const tag = argv[recursive ? 3 : 2]!;
        const named = argv.slice(recursive ? 4 : 3);
        const below = (full: string) => {
          const [root, name] = full.split('@');
          return [...this.datasets.keys()].filter((d) => d.startsWith(`${root}/`) && this.snapshot(`${d}@${name}`)).map((d) => `${d}@${name}`);
        };
        for (const full of recursive ? named.flatMap((f) => [f, ...below(f)]) : named) {
          const snapshot = this.snapshot(full);
          if (!snapshot) return { exitCode: 1, stderr: `cannot ${verb} snapshot '${full}': dataset does not exist\n` };
          if (verb === 'hold' && !snapshot.holds.includes(tag)) snapshot.holds.push(tag);
          if (verb === 'release') snapshot.holds = snapshot.holds.filter((t) => t !== tag);
        }
        return {};
      }
      case 'snapshot': {
        for (const full of argv.slice(2).filter((a) => a.includes('@'))) {
          const [dataset, name] = full.split('@');
          const trees = argv.includes('-r') ? [...this.datasets.keys()].filter((d) => d === dataset || d.startsWith(`${dataset}/`)) : [dataset!];
          for (const d of trees) this.addSnapshot(d, name!);
        }
        return {};
      }
      case 'destroy': {
        const [dataset, names] = target.split('@');
        const doomed = (names ?? '').split(',').filter((n) => this.snapshot(`${dataset}@${n}`));
        if (!argv.includes('-n')) {
          const owner = this.datasets.get(dataset!)!;
          owner.snapshots = owner.snapshots.filter((s) => !doomed.includes(s.name));
        }
        return { stdout: `${doomed.map((n) => `destroy\t${dataset}@${n}\n`).join('')}reclaim\t${4096 * doomed.length}\n` };
      }
      case 'load-key': {
        const dataset = this.datasets.get(target)!;
        if (options.stdin !== `${dataset.key}\n`) return { exitCode: 255, stderr: 'Key load error: Incorrect key provided\n' };
        for (const d of this.datasets.values()) if (d.encryptionRoot === target) d.keyStatus = 'available';
        return {};
      }
      case 'set': {
        const dataset = this.datasets.get(target)!;
        for (const assignment of argv.slice(2, -1)) {
          const [property, value] = [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)];
          if (property === 'readonly') dataset.readonly = value === 'on';
          if (property === 'zfs-replication:promoted') dataset.promoted = value;
        }
        return {};
      }
      case 'inherit':
        if (argv[2] === 'zfs-replication:promoted') this.datasets.get(target)!.promoted = null;
        return {};
      case 'mount':
        return {};
      default:
        throw new Error(`fake: unexpected command ${argv.join(' ')}`);
    }
  }

  async #script(script: string, args: readonly string[], options: RunOptions): Promise<Partial<RunResult>> {
    if (script.includes('uname -s')) return { stdout: fixture('probe-nas-a-root.txt') };
    if (script.includes('state=free')) return { stdout: `${this.lock.held ? 'held' : 'free'}\n${this.lock.owner ?? ''}\n` };
    if (script.includes('flock -n 9')) {
      // The lock script (lock, owner, held script, nonce, embedded commands): reports "locked <nonce>", runs the
      // embedded commands, then holds the lock until its stdin ends.
      if (this.lock.held) return { exitCode: 75, stdout: `${this.lock.owner ?? ''}\n` };
      this.lock = { held: true, owner: args[1] ?? null };
      const nonce = args[3] ?? '';
      this.#emit(options.onStdout, `locked ${nonce}\n`);
      await this.#runEmbedded(nonce, args.slice(4), options);
      return new Promise((resolve) => {
        const stdin = options.stdin as Readable;
        stdin.on('end', () => {
          this.lock = { held: false, owner: null };
          resolve({});
        });
        stdin.resume();
      });
    }
    if (script.includes('for f in')) {
      if (this.lock.held) return { exitCode: 75 };
      const removed = this.lockFiles;
      if (!script.includes('[ -e "$f" ] && echo')) this.lockFiles = [];
      return { stdout: removed.map((f) => `${f}\n`).join('') };
    }
    if (script.includes('command -v "$t"')) return { stdout: args.map((t) => `${t}\n`).join('') };
    throw new Error(`fake: unexpected script ${script.slice(0, 60)}`);
  }

  /** One line per record, fields in the order of the command's -o list. */
  #rows(argv: readonly string[], records: Array<Record<string, string>>): string {
    const fields = argv[argv.indexOf('-o') + 1]!.split(',');
    return records.map((r) => `${fields.map((f) => r[f] ?? none).join('\t')}\n`).join('');
  }

  #datasetRecord(d: FakeDataset): Record<string, string> {
    return {
      name: d.name,
      type: 'filesystem',
      guid: d.guid,
      createtxg: String(d.createtxg),
      creation: '1700000000',
      used: '1000',
      available: '5000000',
      referenced: '1000',
      written: '0',
      encryption: d.encryption,
      encryptionroot: d.encryptionRoot ?? none,
      keystatus: d.keyStatus ?? none,
      readonly: d.readonly ? 'on' : 'off',
      mounted: 'yes',
      mountpoint: `/${d.name}`,
      'zfs-replication:promoted': d.promoted ?? none,
    };
  }

  #list(argv: readonly string[]): Partial<RunResult> {
    const root = argv.at(-1)!;
    if (!this.datasets.has(root)) return { exitCode: 1, stderr: `cannot open '${root}': dataset does not exist\n` };
    const depth = argv.includes('-d') ? Number(argv[argv.indexOf('-d') + 1]) : argv.includes('-r') ? Infinity : 0;
    const inTree = (name: string) => name === root || (name.startsWith(`${root}/`) && name.slice(root.length).split('/').length - 1 <= depth);
    const types = argv[argv.indexOf('-t') + 1]!;
    const datasets = [...this.datasets.values()].filter((d) => inTree(d.name));
    const records: Array<Record<string, string>> = [];
    if (types === 'all' || types.includes('filesystem')) records.push(...datasets.map((d) => this.#datasetRecord(d)));
    if (types === 'all' || types.includes('snapshot')) {
      // Snapshots of a dataset are one level below it (-d 1 lists the dataset's own).
      const owners = types === 'all' ? datasets : [...this.datasets.values()].filter((d) => d.name === root || (argv.includes('-r') && d.name.startsWith(`${root}/`)));
      for (const d of owners) {
        for (const s of d.snapshots) {
          records.push({ name: `${d.name}@${s.name}`, type: 'snapshot', guid: s.guid, createtxg: String(s.createtxg), creation: '1700000000', used: '0', referenced: '1000', userrefs: String(s.holds.length) });
        }
      }
    }
    records.sort((x, y) => Number(x['createtxg']) - Number(y['createtxg']));
    return { stdout: this.#rows(argv, records) };
  }

  #get(argv: readonly string[]): Partial<RunResult> {
    let at = argv.indexOf('-o') + 2;
    while (argv[at] === '-d' || argv[at] === '-t' || argv[at] === '-r') at += argv[at] === '-r' ? 1 : 2;
    const properties = argv[at]!.split(',');
    const names = argv.slice(at + 1);
    const lines: string[] = [];
    for (const name of names) {
      const d = this.datasets.get(name);
      if (!d) return { exitCode: 1, stderr: `cannot open '${name}': dataset does not exist\n` };
      for (const property of properties) {
        const [source, value] =
          property === 'readonly' ? ['local', d.readonly ? 'on' : 'off'] : property === 'zfs-replication:promoted' ? (d.promoted ? ['local', d.promoted] : [none, none]) : property === 'encryption' ? ['default', d.encryption] : [none, none];
        lines.push(this.#rows(argv, [{ name, property, source, value }]));
      }
    }
    return { stdout: lines.join('') };
  }
}
