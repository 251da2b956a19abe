import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import {
  SnapshotTaskFileSchema,
  TaskFileSchema,
  snapshotTaskFileJsonSchema,
  snapshotTaskName,
  taskFileJsonSchema,
  type SnapshotTaskFile,
  type TaskFile,
} from '../../../shared/portable-config.ts';
import { AppFailure } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { keepRules, lifetimeUnits } from '../../../shared/retention.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';
import type { Core } from '../../services/core.ts';
import { snapshotTaskFileOf, snapshotTaskFromFile, taskFileOf, taskFromFile } from '../../services/portability/portable-config.ts';
import { exitCodes, invoke, usageError, withErrors, type CliEnvironment, type Output } from '../cli-support.ts';

// `zfs-replication task …` and `zfs-replication snapshot-task …`: replication and periodic snapshot tasks from flags
// or from a JSON file (shared/portable-config.ts: TaskFileSchema and SnapshotTaskFileSchema; `task schema` prints
// the JSON Schema the README documents). `task show NAME --json` prints exactly what `task edit NAME --file` takes.

export const taskUsage = `usage: zfs-replication task <command> [options]

commands:
  list                       replication tasks (--json: as task files)
  show TASK                  one task (--json: the task file, to edit and pass back to "task edit --file")
  add NAME [flags]           create a task from flags, or from --file (flags then override the file)
  edit TASK [flags]          change some fields; --file replaces the whole task with the file's content
  remove TASK                delete the task and its history (nothing on the NAS is touched)
  schema                     print the JSON Schema of a task file
  allow-commands TASK        the minimal "zfs allow" lines for delegated (non-root) connections

flags:
  --file FILE                a task file (JSON; "-" for stdin)
  --source CONN:DATASET      a source dataset on a saved connection (repeat for more datasets on the same NAS)
  --recursive                replicate the sources with their children
  --exclude DATASET          a child left out of a recursive source (repeatable)
  --destination CONN:PARENT  where the replicas go: PARENT/<source without its pool>
  --transport relay|direct   relay (through this computer, default) or direct (NAS to NAS; see connection nas-trust)
  --direct-host HOST --direct-port N --direct-user USER
                             how the source NAS reaches the destination (direct)
  --snapshots all            replicate every snapshot (default when no schema or regex is given)
  --naming-schema PATTERN    only snapshots named like PATTERN, e.g. auto-%Y-%m-%d_%H-%M (repeatable)
  --regex PATTERN            only snapshots whose name matches PATTERN
  --schedule CRON|manual     a cron expression ("*/15 * * * *") or manual (default)
  --time-zone ZONE           the IANA zone the schedule is read in (e.g. Europe/Berlin; default UTC)
  --lifetime same-as-source|forever|N{h,d,w,m,y}
                             how long replicas of snapshots stay on the destination (e.g. 2w)
  --keep RULE=N,...          or a keep grid: last, hourly, daily, weekly, monthly, yearly (e.g. hourly=24,daily=7)
  --compression none|lz4|zstd
  --bandwidth-limit KIBPS|none
  --retries N
  --writable                 leave received datasets writable (default: readonly=on)
  --no-properties            do not replicate dataset properties
  --set-property NAME=VALUE  override a property on the destination (repeatable)
  --exclude-property NAME    do not replicate this property (repeatable)
  --encryption as-source|hex|passphrase
                             hex/passphrase: encrypt on the destination with a key asked at each run
                             (--key-stdin: store the first line of stdin as the task's key)
options: --json, -h/--help`;

export const snapshotTaskUsage = `usage: zfs-replication snapshot-task <command> [options]

A periodic snapshot task is named CONNECTION:DATASET (or by its id).

commands:
  list                         periodic snapshot tasks (--json: as task files)
  show TASK                    one task (--json: its file)
  add [flags]                  create one from flags, or from --file
  edit TASK [flags]            change some fields (--file replaces the whole task)
  remove TASK                  delete it (its snapshots stay on the NAS)
  schema                       print the JSON Schema of a periodic snapshot task file

flags:
  --file FILE                  a periodic snapshot task file (JSON; "-" for stdin)
  --dataset CONN:DATASET       the dataset to snapshot, on a saved connection
  --no-recursive               only the dataset, not its children (default: with children)
  --exclude DATASET            a child left out (repeatable)
  --naming-schema PATTERN      snapshot names, e.g. auto-%Y-%m-%d_%H-%M
  --schedule CRON|manual       when to take them
  --time-zone ZONE             the zone of the schedule and of the names (IANA, e.g. Europe/Berlin; default UTC)
  --lifetime forever|N{h,d,w,m,y}
                               how long they are kept
  --keep RULE=N,...            or a keep grid: last, hourly, daily, weekly, monthly, yearly (e.g. hourly=24,daily=7)
options: --json, -h/--help`;

const common = {
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  file: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'naming-schema': { type: 'string', multiple: true },
  schedule: { type: 'string' },
  'time-zone': { type: 'string' },
  lifetime: { type: 'string' },
  keep: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const taskOptions = {
  ...common,
  name: { type: 'string' },
  source: { type: 'string', multiple: true },
  recursive: { type: 'boolean' },
  destination: { type: 'string' },
  transport: { type: 'string' },
  'direct-host': { type: 'string' },
  'direct-port': { type: 'string' },
  'direct-user': { type: 'string' },
  snapshots: { type: 'string' },
  regex: { type: 'string' },
  compression: { type: 'string' },
  'bandwidth-limit': { type: 'string' },
  retries: { type: 'string' },
  writable: { type: 'boolean' },
  'no-properties': { type: 'boolean' },
  'set-property': { type: 'string', multiple: true },
  'exclude-property': { type: 'string', multiple: true },
  encryption: { type: 'string' },
  'key-stdin': { type: 'boolean', default: false },
} as const satisfies ParseArgsConfig['options'];

const snapshotTaskOptions = {
  ...common,
  dataset: { type: 'string' },
  'no-recursive': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const unitOf: Record<string, (typeof lifetimeUnits)[number]> = { h: 'hours', d: 'days', w: 'weeks', m: 'months', y: 'years' };

/** same-as-source | forever | 2w | "2 weeks" */
export function parseLifetime(text: string): z.input<typeof TaskFileSchema>['destinationLifetime'] {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'forever') return { kind: 'forever' };
  if (trimmed === 'same-as-source') return { kind: 'same-as-source' };
  const match = /^(\d+)\s*([a-z]+)$/.exec(trimmed);
  const unit = match && (unitOf[match[2]!] ?? lifetimeUnits.find((u: string) => u === match[2] || u === `${match[2]}s`));
  if (!match || !unit) throw new AppFailure('INVALID_REQUEST', `"${text}" is not a lifetime.`, 'Use forever, same-as-source, or an amount with a unit: 48h, 14d, 2w, 6m, 1y.');
  return { kind: 'custom', amount: Number(match[1]), unit };
}

/** "hourly=24,daily=7,weekly=4": a keep grid (counts per rule; the others 0). */
export function parseKeepGrid(text: string): Record<string, unknown> {
  const grid: Record<string, unknown> = { kind: 'grid' };
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [rule, count] = part.split('=');
    if (!rule || !(keepRules as readonly string[]).includes(rule) || count === undefined || !/^\d+$/.test(count)) {
      throw new AppFailure('INVALID_REQUEST', `--keep ${text}: "${part}" is not RULE=COUNT.`, `Rules: ${keepRules.join(', ')}; e.g. --keep hourly=24,daily=7,weekly=4.`);
    }
    grid[rule] = Number(count);
  }
  return grid;
}

function parseSchedule(text: string, timeZone?: string): { kind: 'manual' } | { kind: 'cron'; expression: string; timeZone?: string } {
  return text.trim().toLowerCase() === 'manual' ? { kind: 'manual' } : { kind: 'cron', expression: text.trim(), ...(timeZone ? { timeZone } : {}) };
}

/** --time-zone on its own changes the zone of the schedule already there. */
function withTimeZone(schedule: unknown, timeZone: string | undefined): unknown {
  if (timeZone === undefined) return schedule;
  const current = schedule as { kind?: string } | undefined;
  if (current?.kind !== 'cron') throw new AppFailure('INVALID_REQUEST', '--time-zone is for a cron schedule: give --schedule CRON too.');
  return { ...current, timeZone };
}

/** The JSON of --file (or stdin with "-"), as plain data; a parse error names the file and the position. */
function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new AppFailure('INVALID_REQUEST', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, 'Give the path of a JSON task file (zfs-replication task show NAME --json prints one).');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AppFailure('INVALID_REQUEST', `${file} is not valid JSON: ${(error as Error).message}.`, 'Check the file with a JSON validator; "zfs-replication task schema" prints what it may contain.');
  }
}

/** Schema errors as "field: message" lines an admin can act on. */
function fileProblem(what: string, error: z.ZodError): AppFailure {
  const lines = error.issues.map((issue) => `  ${issue.path.join('.') || '(the file)'}: ${issue.message}`);
  return new AppFailure('INVALID_REQUEST', `The ${what} is not valid:\n${lines.join('\n')}`, `"zfs-replication ${what === 'task' ? 'task' : 'snapshot-task'} schema" prints every field and its allowed values.`);
}

/** "nas-a:tank/data": the longest prefix before a ":" that names a saved connection (names may hold ":"). */
export function splitConnectionPath(text: string, connections: readonly Connection[], flag: string): { connection: string; path: string } {
  for (let i = text.lastIndexOf(':'); i > 0; i = text.lastIndexOf(':', i - 1)) {
    const name = text.slice(0, i);
    if (connections.some((c) => c.name.toLowerCase() === name.toLowerCase() || c.id === name)) return { connection: name, path: text.slice(i + 1) };
  }
  throw new AppFailure('INVALID_REQUEST', `${flag} ${text}: no saved connection is named like the part before ":".`, `Write it CONNECTION:DATASET, e.g. ${flag} nas-a:tank/data (saved: ${connections.map((c) => c.name).join(', ') || 'none'}).`);
}

function parseInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) throw new AppFailure('INVALID_REQUEST', `${flag} ${text}: not a whole number.`);
  return value;
}

type TaskValues = ReturnType<typeof parseTaskArgs>['values'];
function parseTaskArgs(args: string[]) {
  return parseArgs({ args, allowPositionals: true, options: taskOptions });
}

/** The flags applied over a task file's fields (the file's or the saved task's). */
function applyTaskFlags(base: Record<string, unknown>, values: TaskValues, connections: readonly Connection[], keyFromStdin: string | null): Record<string, unknown> {
  const task: Record<string, unknown> = { ...base };
  if (values.name !== undefined) task.name = values.name;
  if (values.source !== undefined) {
    const parts = values.source.map((s) => splitConnectionPath(s, connections, '--source'));
    const names = new Set(parts.map((p) => p.connection.toLowerCase()));
    if (names.size > 1) throw new AppFailure('INVALID_REQUEST', 'All --source datasets of a task are on one NAS.', 'Make one task per source NAS.');
    task.sourceConnection = parts[0]!.connection;
    task.sources = parts.map((p) => ({ name: p.path }));
  }
  if (values.recursive !== undefined || values.exclude !== undefined) {
    const sources = (task.sources as Array<Record<string, unknown>> | undefined) ?? [];
    task.sources = sources.map((source) => ({
      ...source,
      ...(values.recursive !== undefined ? { recursive: values.recursive } : {}),
      ...(values.exclude !== undefined ? { exclude: values.exclude.filter((e) => e.startsWith(`${String(source.name)}/`)) } : {}),
    }));
    const orphans = (values.exclude ?? []).filter((e) => !sources.some((s) => e.startsWith(`${String(s.name)}/`)));
    if (orphans.length > 0) throw new AppFailure('INVALID_REQUEST', `--exclude ${orphans.join(', ')}: not a child of a source dataset.`, 'Exclude children by their full name, e.g. --source nas-a:tank/data --recursive --exclude tank/data/tmp.');
  }
  if (values.destination !== undefined) {
    const { connection, path } = splitConnectionPath(values.destination, connections, '--destination');
    task.destinationConnection = connection;
    task.destinationParent = path;
  }
  if (values.transport !== undefined && values.transport !== 'relay' && values.transport !== 'direct') throw new AppFailure('INVALID_REQUEST', `--transport ${values.transport}: use relay or direct.`);
  const direct = values['direct-host'] !== undefined || values['direct-port'] !== undefined || values['direct-user'] !== undefined;
  if (values.transport === 'relay') task.transport = { kind: 'relay' };
  if (values.transport === 'direct' || direct) {
    const previous = (task.transport as Record<string, unknown> | undefined)?.kind === 'direct' ? (task.transport as Record<string, unknown>) : {};
    task.transport = {
      ...previous,
      kind: 'direct',
      ...(values['direct-host'] !== undefined ? { destinationHost: values['direct-host'] } : {}),
      ...(values['direct-port'] !== undefined ? { destinationPort: parseInteger(values['direct-port'], '--direct-port') } : {}),
      ...(values['direct-user'] !== undefined ? { destinationUser: values['direct-user'] } : {}),
    };
  }
  if (task.transport === undefined) task.transport = { kind: 'relay' };
  const selections = [values.snapshots !== undefined, values['naming-schema'] !== undefined, values.regex !== undefined].filter(Boolean).length;
  if (selections > 1) throw new AppFailure('INVALID_REQUEST', 'Choose one snapshot selection: --snapshots all, --naming-schema or --regex.');
  if (values.snapshots !== undefined) {
    if (values.snapshots !== 'all') throw new AppFailure('INVALID_REQUEST', `--snapshots ${values.snapshots}: only "all" (or use --naming-schema / --regex).`);
    task.selection = { kind: 'all' };
  }
  if (values['naming-schema'] !== undefined) task.selection = { kind: 'naming-schema', schemas: values['naming-schema'] };
  if (values.regex !== undefined) task.selection = { kind: 'regex', pattern: values.regex };
  if (task.selection === undefined) task.selection = { kind: 'all' };
  if (values.schedule !== undefined) task.schedule = parseSchedule(values.schedule, values['time-zone']);
  else task.schedule = withTimeZone(task.schedule, values['time-zone']);
  if (values.lifetime !== undefined && values.keep !== undefined) throw new AppFailure('INVALID_REQUEST', 'Give --lifetime or --keep, not both.');
  if (values.lifetime !== undefined) task.destinationLifetime = parseLifetime(values.lifetime);
  if (values.keep !== undefined) task.destinationLifetime = parseKeepGrid(values.keep);
  if (values.compression !== undefined) task.compression = values.compression;
  if (values['bandwidth-limit'] !== undefined) task.bandwidthLimitKiBps = values['bandwidth-limit'] === 'none' ? null : parseInteger(values['bandwidth-limit'], '--bandwidth-limit');
  if (values.retries !== undefined) task.retries = parseInteger(values.retries, '--retries');
  if (values.writable !== undefined) task.destinationReadonly = !values.writable;
  const properties = { replicate: true, exclude: [] as string[], override: {} as Record<string, string>, ...((task.properties as object | undefined) ?? {}) };
  if (values['no-properties']) properties.replicate = false;
  if (values['exclude-property'] !== undefined) properties.exclude = values['exclude-property'];
  for (const assignment of values['set-property'] ?? []) {
    const equals = assignment.indexOf('=');
    if (equals <= 0) throw new AppFailure('INVALID_REQUEST', `--set-property ${assignment}: write it NAME=VALUE, e.g. compression=zstd.`);
    properties.override = { ...properties.override, [assignment.slice(0, equals)]: assignment.slice(equals + 1) };
  }
  if (values['no-properties'] || values['exclude-property'] !== undefined || values['set-property'] !== undefined) task.properties = properties;
  if (values.encryption !== undefined) {
    if (values.encryption === 'as-source') task.encryption = { kind: 'as-source' };
    else if (values.encryption === 'hex' || values.encryption === 'passphrase') task.encryption = { kind: 'encrypt-on-destination', keyFormat: values.encryption };
    else throw new AppFailure('INVALID_REQUEST', `--encryption ${values.encryption}: use as-source, hex or passphrase.`);
  }
  if (keyFromStdin !== null) {
    const encryption = task.encryption as { kind: string } | undefined;
    if (encryption?.kind !== 'encrypt-on-destination') throw new AppFailure('INVALID_REQUEST', '--key-stdin is for a task that encrypts on the destination (--encryption hex|passphrase).');
    task.encryption = { ...encryption, key: keyFromStdin };
  }
  return task;
}

/** A replication task by name (any case) or id. */
async function taskByRef(core: Core, reference: string): Promise<ReplicationTask> {
  const tasks = await invoke(core, 'listTasks', {});
  const wanted = reference.trim().toLowerCase();
  const found = tasks.find((t) => t.task.name.toLowerCase() === wanted) ?? tasks.find((t) => t.task.id === reference.trim());
  if (!found) throw new AppFailure('NOT_FOUND', `There is no replication task "${reference}".`, `Tasks: ${tasks.map((t) => t.task.name).join(', ') || 'none'}. Create one with "zfs-replication task add".`);
  return found.task;
}

function connectionResolver(connections: readonly Connection[]): { nameOf(id: string): string; idOf(reference: string): string } {
  return {
    nameOf: (id) => connections.find((c) => c.id === id)?.name ?? id,
    idOf: (reference) => {
      const wanted = reference.trim().toLowerCase();
      const found = connections.find((c) => c.name.toLowerCase() === wanted) ?? connections.find((c) => c.id === reference.trim());
      if (!found) throw new AppFailure('NOT_FOUND', `There is no connection "${reference}".`, `Saved connections: ${connections.map((c) => c.name).join(', ') || 'none'}.`);
      return found.id;
    },
  };
}

function describeTask(task: TaskFile): string {
  const sources = task.sources.map((s) => `${s.name}${s.recursive ? ' (with children)' : ''}`).join(', ');
  const selection = task.selection.kind === 'all' ? 'all snapshots' : task.selection.kind === 'naming-schema' ? `snapshots named ${task.selection.schemas.join(' or ')}` : `snapshots matching /${task.selection.pattern}/`;
  const schedule = task.schedule.kind === 'cron' ? `cron "${task.schedule.expression}"` : 'manual';
  return `${task.name}  ${task.sourceConnection}:${sources} -> ${task.destinationConnection}:${task.destinationParent}  (${task.transport.kind}; ${selection}; ${schedule})`;
}

export async function taskCommand(argv: string[], env: CliEnvironment): Promise<number> {
  const [command, ...rest] = argv;
  const { io } = env;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.out(taskUsage);
    return command ? exitCodes.ok : exitCodes.usage;
  }
  let parsed;
  try {
    parsed = parseTaskArgs(rest);
  } catch (error) {
    return usageError(io, (error as Error).message, taskUsage);
  }
  const { values, positionals } = parsed;
  const output: Output = { json: values.json, verbose: values.verbose };
  if (values.help) {
    io.out(taskUsage);
    return exitCodes.ok;
  }
  if (command === 'schema') {
    io.out(JSON.stringify(taskFileJsonSchema(), null, 2));
    return exitCodes.ok;
  }
  const arity: Record<string, [number, number]> = { list: [0, 0], show: [1, 1], add: [0, 1], edit: [1, 1], remove: [1, 1], 'allow-commands': [1, 1] };
  const wanted = arity[command];
  if (!wanted) return usageError(io, `unknown task command "${command}"`, taskUsage);
  if (positionals.length < wanted[0] || positionals.length > wanted[1]) return usageError(io, `"task ${command}" takes ${wanted[1] === 0 ? 'no task name' : 'one task name'}.`, taskUsage);
  const [reference] = positionals;

  return withErrors(output, io, async () => {
    const core = await env.openCore();
    const connections = await invoke(core, 'listConnections', {});
    const resolver = connectionResolver(connections);
    switch (command) {
      case 'list': {
        const tasks = (await invoke(core, 'listTasks', {})).map((t) => taskFileOf(t.task, resolver.nameOf));
        if (output.json) io.out(JSON.stringify({ ok: true, tasks }, null, 2));
        else if (tasks.length === 0) io.out('no replication tasks (create one: zfs-replication task add NAME --source CONN:DATASET --destination CONN:PARENT)');
        else for (const task of tasks) io.out(describeTask(task));
        return exitCodes.ok;
      }
      case 'show': {
        const task = taskFileOf(await taskByRef(core, reference!), resolver.nameOf);
        if (output.json) io.out(JSON.stringify(task, null, 2));
        else {
          io.out(describeTask(task));
          io.out(`  lifetime on destination: ${JSON.stringify(task.destinationLifetime)}; compression ${task.compression}; limit ${task.bandwidthLimitKiBps === null ? 'none' : `${task.bandwidthLimitKiBps} KiB/s`}; retries ${task.retries}; ${task.destinationReadonly ? 'replicas read-only' : 'replicas writable'}; encryption ${task.encryption.kind}`);
          io.out(`  (--json prints it as a task file: edit it and pass it to "zfs-replication task edit ${task.name} --file FILE")`);
        }
        return exitCodes.ok;
      }
      case 'add':
      case 'edit': {
        const existing = command === 'edit' ? await taskByRef(core, reference!) : null;
        const base: Record<string, unknown> = values.file !== undefined ? (readJsonFile(values.file) as Record<string, unknown>) : existing ? { ...taskFileOf(existing, resolver.nameOf) } : {};
        if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new AppFailure('INVALID_REQUEST', `${values.file} does not hold a JSON object.`, '"zfs-replication task schema" prints what a task file holds.');
        if (command === 'add' && reference !== undefined) base.name = reference;
        const key = values['key-stdin'] ? await io.readStdinLine() : null;
        const merged = applyTaskFlags(base, values, connections, key);
        const checked = TaskFileSchema.safeParse(merged);
        if (!checked.success) throw fileProblem('task', checked.error);
        const task = taskFromFile(checked.data, resolver.idOf, existing?.id);
        // A file never holds a key: an edit keeps the key stored for the task.
        if (existing?.encryption.kind === 'encrypt-on-destination' && existing.encryption.key !== undefined && task.encryption.kind === 'encrypt-on-destination' && task.encryption.key === undefined) {
          task.encryption = { ...task.encryption, key: existing.encryption.key };
        }
        const saved = await invoke(core, 'saveTask', task);
        const file = taskFileOf(saved, resolver.nameOf);
        if (output.json) io.out(JSON.stringify({ ok: true, id: saved.id, task: file }, null, 2));
        else io.out(`${command === 'add' ? 'created' : 'saved'} ${describeTask(file)}`);
        return exitCodes.ok;
      }
      case 'remove': {
        const task = await taskByRef(core, reference!);
        const { removed } = await invoke(core, 'removeTask', { id: task.id });
        if (output.json) io.out(JSON.stringify({ ok: true, removed }));
        else io.out(removed ? `removed ${task.name} and its history (nothing on the NAS was touched)` : `${task.name} was already gone`);
        return exitCodes.ok;
      }
      case 'allow-commands': {
        const task = await taskByRef(core, reference!);
        const lines = await invoke(core, 'zfsAllowCommands', { taskId: task.id });
        if (output.json) io.out(JSON.stringify({ ok: true, ...lines }, null, 2));
        else {
          io.out(`# on ${resolver.nameOf(task.sourceConnectionId)}:\n${lines.source}\n# on ${resolver.nameOf(task.destinationConnectionId)}:\n${lines.destination}`);
          for (const note of lines.notes) io.out(`# ${note}`);
        }
        return exitCodes.ok;
      }
    }
    return exitCodes.usage;
  });
}

async function snapshotTaskByRef(core: Core, reference: string, nameOf: (id: string) => string): Promise<PeriodicSnapshotTask> {
  const tasks = await invoke(core, 'listSnapshotTasks', {});
  const wanted = reference.trim().toLowerCase();
  const found = tasks.find((t) => t.id === reference.trim()) ?? tasks.filter((t) => snapshotTaskName(nameOf(t.connectionId), t.dataset).toLowerCase() === wanted);
  if (Array.isArray(found)) {
    if (found.length === 1) return found[0]!;
    if (found.length > 1) throw new AppFailure('CONFLICT', `${found.length} periodic snapshot tasks snapshot ${reference}.`, `Name one by its id: ${found.map((t) => t.id).join(', ')}.`);
    throw new AppFailure('NOT_FOUND', `There is no periodic snapshot task "${reference}".`, `Name it CONNECTION:DATASET or by id: ${tasks.map((t) => snapshotTaskName(nameOf(t.connectionId), t.dataset)).join(', ') || 'there are none'}.`);
  }
  return found;
}

function describeSnapshotTask(task: SnapshotTaskFile, id?: string): string {
  const schedule = task.schedule.kind === 'cron' ? `cron "${task.schedule.expression}"` : 'manual';
  const lifetime = task.lifetime.kind === 'custom' ? `${task.lifetime.amount} ${task.lifetime.unit}` : task.lifetime.kind;
  return `${snapshotTaskName(task.connection, task.dataset)}${task.recursive ? ' (with children)' : ''}  @${task.namingSchema}  ${schedule}  kept ${lifetime}${id ? `  id ${id}` : ''}`;
}

export async function snapshotTaskCommand(argv: string[], env: CliEnvironment): Promise<number> {
  const [command, ...rest] = argv;
  const { io } = env;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.out(snapshotTaskUsage);
    return command ? exitCodes.ok : exitCodes.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: snapshotTaskOptions });
  } catch (error) {
    return usageError(io, (error as Error).message, snapshotTaskUsage);
  }
  const { values, positionals } = parsed;
  const output: Output = { json: values.json, verbose: values.verbose };
  if (values.help) {
    io.out(snapshotTaskUsage);
    return exitCodes.ok;
  }
  if (command === 'schema') {
    io.out(JSON.stringify(snapshotTaskFileJsonSchema(), null, 2));
    return exitCodes.ok;
  }
  const arity: Record<string, number> = { list: 0, show: 1, add: 0, edit: 1, remove: 1 };
  const wanted = arity[command];
  if (wanted === undefined) return usageError(io, `unknown snapshot-task command "${command}"`, snapshotTaskUsage);
  if (positionals.length !== wanted) return usageError(io, `"snapshot-task ${command}" takes ${wanted === 0 ? 'no positional argument (use --dataset CONN:DATASET)' : 'one task (CONNECTION:DATASET or id)'}.`, snapshotTaskUsage);
  const [reference] = positionals;

  return withErrors(output, io, async () => {
    const core = await env.openCore();
    const connections = await invoke(core, 'listConnections', {});
    const resolver = connectionResolver(connections);
    switch (command) {
      case 'list': {
        const tasks = await invoke(core, 'listSnapshotTasks', {});
        if (output.json) io.out(JSON.stringify({ ok: true, snapshotTasks: tasks.map((t) => ({ id: t.id, ...snapshotTaskFileOf(t, resolver.nameOf) })) }, null, 2));
        else if (tasks.length === 0) io.out('no periodic snapshot tasks');
        else for (const task of tasks) io.out(describeSnapshotTask(snapshotTaskFileOf(task, resolver.nameOf), task.id));
        return exitCodes.ok;
      }
      case 'show': {
        const task = await snapshotTaskByRef(core, reference!, resolver.nameOf);
        const file = snapshotTaskFileOf(task, resolver.nameOf);
        io.out(output.json ? JSON.stringify(file, null, 2) : describeSnapshotTask(file, task.id));
        return exitCodes.ok;
      }
      case 'add':
      case 'edit': {
        const existing = command === 'edit' ? await snapshotTaskByRef(core, reference!, resolver.nameOf) : null;
        const base: Record<string, unknown> = values.file !== undefined ? (readJsonFile(values.file) as Record<string, unknown>) : existing ? { ...snapshotTaskFileOf(existing, resolver.nameOf) } : {};
        if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new AppFailure('INVALID_REQUEST', `${values.file} does not hold a JSON object.`, '"zfs-replication snapshot-task schema" prints what the file holds.');
        if (values.dataset !== undefined) {
          const { connection, path } = splitConnectionPath(values.dataset, connections, '--dataset');
          base.connection = connection;
          base.dataset = path;
        }
        if (values['no-recursive'] !== undefined) base.recursive = !values['no-recursive'];
        if (values.exclude !== undefined) base.exclude = values.exclude;
        if (values['naming-schema'] !== undefined) {
          if (values['naming-schema'].length > 1) throw new AppFailure('INVALID_REQUEST', 'A periodic snapshot task has one naming schema.');
          base.namingSchema = values['naming-schema'][0];
        }
        if (values.schedule !== undefined) base.schedule = parseSchedule(values.schedule, values['time-zone']);
        else base.schedule = withTimeZone(base.schedule, values['time-zone']);
        // The names and the keep grid's days follow the schedule's zone.
        if (values['time-zone'] !== undefined) base.timeZone = values['time-zone'];
        if (values.lifetime !== undefined && values.keep !== undefined) throw new AppFailure('INVALID_REQUEST', 'Give --lifetime or --keep, not both.');
        if (values.keep !== undefined) base.lifetime = parseKeepGrid(values.keep);
        if (values.lifetime !== undefined) {
          const lifetime = parseLifetime(values.lifetime);
          if (lifetime?.kind === 'same-as-source') throw new AppFailure('INVALID_REQUEST', '--lifetime same-as-source is for replication tasks; give forever or an amount like 2w.');
          base.lifetime = lifetime;
        }
        const checked = SnapshotTaskFileSchema.safeParse(base);
        if (!checked.success) throw fileProblem('periodic snapshot task', checked.error);
        const saved = await invoke(core, 'saveSnapshotTask', snapshotTaskFromFile(checked.data, resolver.idOf, existing?.id));
        const file = snapshotTaskFileOf(saved, resolver.nameOf);
        if (output.json) io.out(JSON.stringify({ ok: true, id: saved.id, snapshotTask: file }, null, 2));
        else io.out(`${command === 'add' ? 'created' : 'saved'} ${describeSnapshotTask(file, saved.id)}`);
        return exitCodes.ok;
      }
      case 'remove': {
        const task = await snapshotTaskByRef(core, reference!, resolver.nameOf);
        const { removed } = await invoke(core, 'removeSnapshotTask', { id: task.id });
        if (output.json) io.out(JSON.stringify({ ok: true, removed }));
        else io.out(removed ? `removed the periodic snapshot task of ${snapshotTaskName(resolver.nameOf(task.connectionId), task.dataset)} (its snapshots stay on the NAS)` : 'it was already gone');
        return exitCodes.ok;
      }
    }
    return exitCodes.usage;
  });
}
