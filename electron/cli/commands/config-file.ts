import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PortableConfigSchema, type ImportItemKind, type ImportPlan } from '../../../shared/portable-config.ts';
import { AppFailure } from '../../../shared/result.ts';
import { writePrivateFileAtomic } from '../../services/store/private-files.ts';
import { exitCodes, invoke, usageError, withErrors, type CliEnvironment, type Output } from '../cli-support.ts';

// `zfs-replication export [FILE]` and `zfs-replication import FILE`: connections (with their pinned host keys) and
// tasks as one JSON file, never a private key, a password or an encryption key. An import lists what it would add
// and every conflict by name before it writes anything; a conflicting entry is replaced only when named.

export const exportUsage = `usage: zfs-replication export [FILE]
  Writes the connections (with their pinned host keys), replication tasks and periodic snapshot tasks as one JSON
  file (mode 0600), or to stdout without FILE. Never included: private keys, passwords, encryption keys.`;

export const importUsage = `usage: zfs-replication import FILE [--dry-run] [--replace KIND:NAME ...] [--replace-all | --skip-conflicts]
  Adds the file's connections and tasks. Entries that exist here with the same name and content are left alone.
  A conflict (same name, different content) stops the import before anything is written (exit 3) unless decided:
    --replace KIND:NAME   replace that entry (KIND: connection, task or snapshot-task; repeatable)
    --replace-all         replace every conflicting entry
    --skip-conflicts      keep what is here for every conflict, import the rest
  --dry-run               list what would happen; change nothing
  FILE "-" reads stdin.`;

const kindWords: Record<ImportItemKind, string> = { connection: 'connection', task: 'task', snapshotTask: 'snapshot-task' };

function parseKind(text: string): ImportItemKind {
  if (text === 'connection') return 'connection';
  if (text === 'task') return 'task';
  if (text === 'snapshot-task' || text === 'snapshotTask') return 'snapshotTask';
  throw new AppFailure('INVALID_REQUEST', `"${text}" is not a kind of entry.`, 'Write --replace connection:NAME, --replace task:NAME or --replace snapshot-task:CONNECTION:DATASET.');
}

function printPlan(plan: ImportPlan, print: (line: string) => void): void {
  const word = { add: 'add', same: 'unchanged', conflict: 'CONFLICT', invalid: 'cannot import' } as const;
  for (const item of plan.items) {
    const why = item.status === 'conflict' ? ` (differs in ${item.differences.join(', ')})` : item.problem ? ` (${item.problem})` : '';
    print(`  ${word[item.status].padEnd(13)} ${kindWords[item.kind]} ${item.name}${why}`);
  }
}

export async function exportCommand(argv: string[], env: CliEnvironment): Promise<number> {
  const { io } = env;
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h', default: false }, json: { type: 'boolean', default: false } } });
  } catch (error) {
    return usageError(io, (error as Error).message, exportUsage);
  }
  if (parsed.values.help) {
    io.out(exportUsage);
    return exitCodes.ok;
  }
  if (parsed.positionals.length > 1) return usageError(io, '"export" takes at most one file.', exportUsage);
  const [file] = parsed.positionals;
  const output: Output = { json: parsed.values.json, verbose: false };
  return withErrors(output, io, async () => {
    const core = await env.openCore();
    const document = await invoke(core, 'exportConfig', {});
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (file === undefined || file === '-') {
      process.stdout.write(text);
      return exitCodes.ok;
    }
    writePrivateFileAtomic(file, text);
    io.err(`exported ${document.connections.length} connection(s), ${document.tasks.length} task(s) and ${document.snapshotTasks.length} periodic snapshot task(s) to ${file} (no keys or passwords)`);
    return exitCodes.ok;
  });
}

export async function importCommand(argv: string[], env: CliEnvironment): Promise<number> {
  const { io } = env;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        replace: { type: 'string', multiple: true },
        'replace-all': { type: 'boolean', default: false },
        'skip-conflicts': { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message, importUsage);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(importUsage);
    return exitCodes.ok;
  }
  if (positionals.length !== 1) return usageError(io, '"import" takes one file.', importUsage);
  if (values['replace-all'] && values['skip-conflicts']) return usageError(io, 'Choose --replace-all or --skip-conflicts, not both.', importUsage);
  const [file] = positionals as [string];
  const output: Output = { json: values.json, verbose: false };
  return withErrors(output, io, async () => {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
    } catch (error) {
      throw new AppFailure('INVALID_REQUEST', `Cannot read ${file} as JSON: ${(error as Error).message}.`, 'Give a file written by "zfs-replication export" (or by the app\'s Export).');
    }
    const checked = PortableConfigSchema.safeParse(raw);
    if (!checked.success) {
      throw new AppFailure('INVALID_REQUEST', `${file} is not an export of this app:\n${checked.error.issues.slice(0, 20).map((i) => `  ${i.path.join('.') || '(the file)'}: ${i.message}`).join('\n')}`, 'Give a file written by "zfs-replication export".');
    }
    const document = checked.data;
    // The settings folder may be new: an import into an empty installation is how a machine is set up.
    const core = await env.openCore({ create: true });
    const plan = await invoke(core, 'planImport', { document });
    const conflicts = plan.items.filter((item) => item.status === 'conflict');
    const replace = values['replace-all']
      ? conflicts.map(({ kind, name }) => ({ kind, name }))
      : (values.replace ?? []).map((text) => {
          const colon = text.indexOf(':');
          if (colon <= 0) throw new AppFailure('INVALID_REQUEST', `--replace ${text}: write KIND:NAME, e.g. --replace task:nightly.`);
          return { kind: parseKind(text.slice(0, colon)), name: text.slice(colon + 1) };
        });
    const decided = (kind: ImportItemKind, name: string) => values['skip-conflicts'] || replace.some((r) => r.kind === kind && r.name.toLowerCase() === name.toLowerCase());
    const undecided = conflicts.filter((item) => !decided(item.kind, item.name));
    if (undecided.length > 0 && !values['dry-run']) {
      if (output.json) io.out(JSON.stringify({ ok: false, plan, undecided }, null, 2));
      else {
        io.err(`${file}: nothing was imported. These entries exist here with different content:`);
        printPlan({ items: undecided, notes: [] }, io.err);
        io.err('Decide for each: --replace KIND:NAME (take the file\'s), --replace-all, or --skip-conflicts (keep what is here). --dry-run shows the whole plan.');
      }
      return exitCodes.confirmationRequired;
    }
    const result = await invoke(core, 'importConfig', { document, replace, dryRun: values['dry-run'] });
    if (output.json) {
      io.out(JSON.stringify({ ok: true, ...result }, null, 2));
    } else {
      if (values['dry-run']) {
        io.out(`${file} (dry run: nothing written):`);
        printPlan(result, io.out);
      }
      for (const entry of result.applied) {
        if (values['dry-run'] || entry.action === 'unchanged') continue;
        io.out(`${entry.action.padEnd(9)} ${kindWords[entry.kind]} ${entry.name}${entry.problem ? `: ${entry.problem}` : ''}`);
      }
      if (!values['dry-run'] && result.applied.every((entry) => entry.action === 'unchanged')) io.out(`nothing to import: the ${result.applied.length} entries of ${file} are already here, the same`);
      for (const note of result.notes) io.out(`note: ${note}`);
    }
    return result.applied.some((entry) => entry.action === 'failed') ? exitCodes.failed : exitCodes.ok;
  });
}
