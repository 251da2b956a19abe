#!/usr/bin/env node
// zfs-replication: the replication engine and the app's own settings file from a terminal, for cron and
// headless use. Verbs follow OviOS retadm where they overlap. Quiet unless something fails (cron mails output).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes } from '../../shared/format-bytes.ts';
import { AppFailure, toAppError } from '../../shared/result.ts';
import type { EventPayload, VerbResponse } from '../../shared/contract.ts';
import type { Core } from '../services/core.ts';
import type { RunReport } from '../services/replication/replication-engine.ts';
import { existingConfigDirProblem, resolveConfigDir } from '../services/store/config-dir.ts';
import { openConfStore } from '../services/store/open-conf-store.ts';
import { TaskLog } from '../services/logs/task-log.ts';
import { changeWords } from '../services/zfs/destruction.ts';
import { liveTaskStatuses } from '../services/tasks/task-status.ts';
import { cliEnvironment, coreOpener, exitCodeOf, exitCodes, invoke, printError, type CliEnvironment, type Output } from './cli-support.ts';

export { exitCodes } from './cli-support.ts';

type CommandGroup = (argv: string[], env: CliEnvironment) => Promise<number>;

/**
 * Command groups with their own options (electron/cli/commands): dispatched before the verbs below parse theirs.
 * Each is loaded when it is used, like the core: a cron `status` does not pay for loading `connection`.
 */
const commandGroups: Record<string, () => Promise<CommandGroup>> = {
  connection: async () => (await import('./commands/connection.ts')).connectionCommand,
  task: async () => (await import('./commands/task.ts')).taskCommand,
  'snapshot-task': async () => (await import('./commands/task.ts')).snapshotTaskCommand,
  export: async () => (await import('./commands/config-file.ts')).exportCommand,
  import: async () => (await import('./commands/config-file.ts')).importCommand,
  daemon: async () => (await import('./commands/daemon.ts')).daemonCommand,
  schedule: async () => (await import('./commands/daemon.ts')).scheduleCommand,
};
const monitorGroup = async (): Promise<CommandGroup> => (await import('./commands/monitor.ts')).monitorCommand;

const usage = `usage: zfs-replication <verb> [options]

setting up (each has --help):
  connection add|edit|remove|list|test|trust|install-key|nas-trust|nas-untrust
                         NAS connections, host-key pins, the app's key on the NAS, NAS-to-NAS trust
  task add|edit|show|remove|list|schema|allow-commands
                         replication tasks, from flags or a JSON task file
  snapshot-task add|edit|show|remove|list|schema
                         periodic snapshot tasks
  export [FILE]          connections and tasks as one file (no keys, no passwords)
  import FILE            add them here; conflicts by name are listed before anything is replaced

running without the app:
  daemon [--once]        run every schedule until SIGTERM (one scheduler per settings folder)
  schedule install|uninstall|status|pause|resume
                         a systemd unit (or a crontab line) for the daemon; pause scheduled runs
  status --monitor       Nagios/Icinga check: OK/WARNING/CRITICAL by how late each replica is (exit 0/1/2)

verbs:
  status [TASK]          state of every task (or one): PENDING, RUNNING (a run holds the task's lock on the
                         source NAS, whoever started it), FINISHED, FAILED, last run
  list                   saved NAS connections and replication tasks
  init TASK              first replication (full send, then incrementals)
  run TASK | inc TASK    replicate what is new (resumes an interrupted transfer first)
  watch TASK             follow the task's log as runs happen (Ctrl-C to stop)
  log TASK               print the task's log
  doctor TASK            check ssh, privileges, versions, pools, readonly, resume token, common base, holds, lock
  repair TASK            after a destination rollback or a lost base: show the minimal fix (apply with --confirm)
  reset TASK             remove the task's holds, lock files and promote mark on the NAS (never data)
  promote TASK           failover: make the replica writable, stop replicating into it, print the failback plan
  snapshot [TASK]        run periodic snapshot tasks now (all, or one by id): take snapshots, then prune
  prune [TASK]           prune by the periodic snapshot tasks' lifetimes only

options:
  --dry-run              plan only: print what would be sent, destroyed and run; change nothing
  --confirm DIGEST       proceed with the destruction a refused run listed (the digest it printed)
  --json                 machine-readable output
  --verbose              print progress and success messages too (default: quiet unless failing)
  -h, --help

exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 confirmation required (destination diverged), 4 busy
settings: ${'$'}ZRD_CONFIG_DIR or the app's data folder (the same file the desktop app uses)`;

function printReport(report: RunReport, output: Output): void {
  if (output.json) {
    console.log(JSON.stringify({ ok: report.result === 'FINISHED' || report.result === 'DRY_RUN', report }, null, 2));
    return;
  }
  const show = report.result !== 'FINISHED' || output.verbose;
  if (report.result === 'DRY_RUN' || (show && report.result !== 'REFUSED')) {
    for (const dataset of report.datasets) {
      const plan = dataset.plan;
      const what =
        plan.status === 'ready'
          ? plan.steps.map((s) => (s.kind === 'full' ? `full @${s.snapshot}` : s.kind === 'resume' ? 'resume interrupted transfer' : `${s.intermediates ? '-I' : '-i'} ${s.from} -> ${s.to}`)).join(', ')
          : plan.status;
      console.log(`${dataset.source} -> ${dataset.destination}: ${what}${dataset.estimatedBytes ? ` (~${formatBytes(dataset.estimatedBytes)})` : ''}`);
      if (dataset.prune.length > 0) console.log(`  prune on destination: ${dataset.prune.join(', ')}`);
      if (report.result === 'DRY_RUN') for (const command of dataset.commands) console.log(`  $ ${command}`);
    }
  }
  if (report.result === 'REFUSED' && report.refusal) {
    const { changes } = report.refusal;
    console.error(`refused: the destination has diverged. Proceeding would destroy on ${report.refusal.destruction.host}:`);
    for (const item of report.refusal.wouldLose) console.error(`  - ${item}`);
    if (changes.length > 0) {
      console.error('The destination changed since the confirmation was given (checked right before acting):');
      for (const change of changes) console.error(`  ~ ${changeWords(change)}`);
    }
    console.error(`${changes.length > 0 ? 'Nothing that was not listed was destroyed.' : 'Nothing was changed.'} To proceed with exactly this list: --confirm ${report.refusal.confirmation}`);
    return;
  }
  if (report.error) printError(report.error, output);
  else if (output.verbose && report.result === 'FINISHED') console.log(`finished: ${report.snapshotsSent} snapshot(s), ${formatBytes(report.bytesSent)}`);
}

interface MaintenanceContext {
  core: Core;
  output: Output;
  dryRun: boolean;
  confirmation?: string;
}

async function maintenance(verb: string, target: string | undefined, context: MaintenanceContext): Promise<number> {
  const { core, output } = context;
  const { store } = core;
  const options = { dryRun: context.dryRun, ...(context.confirmation ? { confirmation: context.confirmation } : {}) };
  const taskId = () => store.getTask(target!).id;
  const print = (value: unknown, lines: string[]) => {
    if (output.json) console.log(JSON.stringify({ ok: true, ...(value as object) }, null, 2));
    else for (const line of lines) console.log(line);
  };
  switch (verb) {
      case 'doctor': {
        const report = await invoke(core, 'doctorTask', { taskId: taskId() });
        print(report, report.checks.map((c) => `${c.status.toUpperCase().padEnd(4)} ${c.title}: ${c.detail}${c.hint && c.status !== 'ok' ? `\n     hint: ${c.hint}` : ''}`));
        return report.status === 'fail' ? exitCodes.failed : exitCodes.ok;
      }
      case 'repair': {
        const report = await invoke(core, 'repairTask', { taskId: taskId(), ...options });
        if (report.actions.length === 0) {
          print(report, ['nothing to repair: the task has a usable common base and its holds']);
          return exitCodes.ok;
        }
        if (!report.applied) {
          if (output.json) console.log(JSON.stringify({ ok: false, report }, null, 2));
          else {
            console.log('repair would:');
            for (const action of report.actions) console.log(`  - ${action}`);
            if (!context.dryRun) console.error(`Nothing was changed. To apply exactly this repair: --confirm ${report.confirmation}`);
          }
          return context.dryRun ? exitCodes.ok : exitCodes.confirmationRequired;
        }
        print(report, [`repaired: ${report.actions.join('; ')}`]);
        return report.error ? exitCodeOf(report.error) : exitCodes.ok;
      }
      case 'reset': {
        const report = await invoke(core, 'resetTask', { taskId: taskId(), dryRun: options.dryRun });
        print(report, [
          `${report.dryRun ? 'would release' : 'released'} holds: ${[...report.released.source, ...report.released.destination].join(', ') || 'none'}`,
          `${report.dryRun ? 'would remove' : 'removed'} lock files: ${report.lockFiles.join(', ') || 'none'}`,
        ]);
        return exitCodes.ok;
      }
      case 'promote': {
        const report = await invoke(core, 'promoteTask', { taskId: taskId(), dryRun: options.dryRun });
        print(report, [
          `${report.dryRun ? 'would promote' : 'promoted'}: ${report.promoted.join(', ') || 'nothing'}`,
          ...report.failback.map((f) => `failback ${f.from} -> ${f.to}: ${f.base ? `incremental from @${f.base}` : 'full resend'}${f.commands.length ? `\n  $ ${f.commands.join('\n  $ ')}` : ''}`),
        ]);
        return exitCodes.ok;
      }
      case 'snapshot':
      case 'prune': {
        const tasks = store.listSnapshotTasks().filter((t) => target === undefined || t.id === target);
        if (target !== undefined && tasks.length === 0) throw new AppFailure('NOT_FOUND', `There is no periodic snapshot task "${target}".`, 'Run "zfs-replication list --json" to see their ids.');
        const results: Array<VerbResponse<'pruneSnapshotTask'> & Partial<Pick<VerbResponse<'runSnapshotTask'>, 'taken'>>> = [];
        for (const task of tasks) {
          const request = { taskId: task.id, dryRun: context.dryRun };
          results.push(verb === 'snapshot' ? await invoke(core, 'runSnapshotTask', request) : await invoke(core, 'pruneSnapshotTask', request));
        }
        if (output.json) console.log(JSON.stringify({ ok: true, results }, null, 2));
        else if (context.dryRun || output.verbose) {
          for (const result of results) {
            if (result.taken) console.log(`${context.dryRun ? 'would take' : 'took'}: ${result.taken.snapshots.join(', ')}`);
            console.log(`${context.dryRun ? 'would prune' : 'pruned'}: ${result.pruned.destroyed.join(', ') || 'nothing'}`);
          }
        }
        return exitCodes.ok;
      }
  }
  return exitCodes.usage;
}

export async function main(argv: string[]): Promise<number> {
  // `status --monitor` is the monitor command (its own options).
  const monitor = argv[0] === 'status' && argv.includes('--monitor');
  const load = monitor ? monitorGroup : argv[0] !== undefined && Object.hasOwn(commandGroups, argv[0]) ? commandGroups[argv[0]] : undefined;
  if (load) {
    const env = cliEnvironment(resolveConfigDir());
    try {
      return await (await load())(argv.slice(1), env);
    } finally {
      await env.dispose();
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'dry-run': { type: 'boolean', default: false },
        confirm: { type: 'string' },
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`);
    return exitCodes.usage;
  }
  const { values, positionals } = parsed;
  const [verb, target, ...extra] = positionals;
  const output: Output = { json: values.json, verbose: values.verbose };
  if (values.help || !verb) {
    console.log(usage);
    return verb || values.help ? exitCodes.ok : exitCodes.usage;
  }
  const needsTask = ['init', 'run', 'inc', 'watch', 'log', 'doctor', 'repair', 'reset', 'promote'];
  if (needsTask.includes(verb) && (!target || extra.length > 0)) {
    console.error(`"${verb}" takes exactly one task (its name or id).\n\n${usage}`);
    return exitCodes.usage;
  }

  // The settings folder must exist (the CLI never creates settings by accident) and be usable: exit 2 naming it.
  const configDir = resolveConfigDir();
  const folderProblem = existingConfigDirProblem(configDir);
  if (folderProblem) {
    printError(folderProblem.appError, output);
    return exitCodes.usage;
  }
  let store: ReturnType<typeof openConfStore>;
  try {
    store = openConfStore(configDir);
  } catch (error) {
    const appError = toAppError(error);
    printError(appError, output);
    return appError.code === 'STORE_CORRUPT' ? exitCodes.usage : exitCodeOf(appError);
  }
  for (const message of store.warnings) console.error(`warning: ${message}`);
  const taskLog = new TaskLog(path.join(configDir, 'logs'));
  const core = coreOpener(configDir, store);

  try {
    switch (verb) {
      case 'list': {
        const connections = store.listConnections();
        const tasks = store.listTasks();
        if (output.json) {
          console.log(JSON.stringify({ ok: true, connections, tasks }, null, 2));
          return exitCodes.ok;
        }
        console.log('connections:');
        for (const c of connections) console.log(`  ${c.name}  ${c.username}@${c.host}:${c.port}  zfs as ${c.privilege}${c.hostKey ? '' : '  (host key not confirmed)'}`);
        if (connections.length === 0) console.log('  (none: add them in the app, or: zfs-replication connection add NAME --host HOST)');
        console.log('tasks:');
        const nameOf = (id: string) => connections.find((c) => c.id === id)?.name ?? id;
        for (const t of tasks) {
          console.log(`  ${t.name}  ${nameOf(t.sourceConnectionId)}:${t.sources.map((s) => s.name).join(',')} -> ${nameOf(t.destinationConnectionId)}:${t.destinationParent}  (${t.transport.kind})`);
        }
        if (tasks.length === 0) console.log('  (none)');
        return exitCodes.ok;
      }
      case 'status': {
        const tasks = target ? [store.getTask(target)] : store.listTasks();
        // The history knows finished runs only: a run in progress elsewhere (the app, cron) shows in the lock on its source NAS.
        const { nas } = await core.get();
        const statuses = await liveTaskStatuses(store, tasks, (id) => nas.runner(id));
        const rows = statuses.map((s) => {
          const last = s.lastRun;
          return {
            task: s.task.name,
            id: s.task.id,
            state: s.state,
            running: s.running,
            lock: s.lock,
            lockError: s.lockError,
            lastRun: last ? { at: last.finishedAt, result: last.result, bytesSent: last.bytesSent, error: last.error } : null,
          };
        });
        if (output.json) console.log(JSON.stringify({ ok: true, tasks: rows }, null, 2));
        else {
          for (const row of rows) {
            const last = row.lastRun ? `last run ${row.lastRun.at} ${row.lastRun.result} ${formatBytes(row.lastRun.bytesSent)}${row.lastRun.error ? `: ${row.lastRun.error.message}` : ''}` : 'never run';
            const runningBy = row.running ? `  started by ${row.running.owner ?? 'an unknown runner'}` : '';
            const unknown = row.lockError ? `  (live state unknown: ${row.lockError.message})` : '';
            console.log(`${row.task}  ${row.state}${runningBy}  ${last}${unknown}`);
            if (row.lockError?.hint && output.verbose) console.log(`  hint: ${row.lockError.hint}`);
          }
          if (rows.length === 0) console.log('no replication tasks (create them in the app, or: zfs-replication task add)');
        }
        return rows.some((r) => r.state === 'FAILED') ? exitCodes.failed : exitCodes.ok;
      }
      case 'log': {
        // The rotated files first (oldest first), then the current one.
        const task = store.getTask(target!);
        for (const file of taskLog.files(task.id).reverse()) process.stdout.write(readFileSync(file, 'utf8'));
        return exitCodes.ok;
      }
      case 'watch': {
        // Lines appear as the run writes them, whoever runs it (this machine's app, the daemon, another CLI).
        const task = store.getTask(target!);
        const file = taskLog.path(task.id);
        console.log(`watching ${task.name} (${file}); Ctrl-C to stop`);
        const from = taskLog.read(task.id, Number.MAX_SAFE_INTEGER, 1024).size;
        const stop = taskLog.follow(task.id, from, (chunk) => {
          if (chunk.restarted) console.log('(the log was rotated: following the new file)');
          process.stdout.write(chunk.text);
        });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        stop();
        return exitCodes.ok;
      }
      case 'init':
      case 'run':
      case 'inc': {
        const controller = new AbortController();
        process.once('SIGINT', () => controller.abort());
        process.once('SIGTERM', () => controller.abort());
        const { runs, bus } = await core.get();
        const task = store.getTask(target!);
        const unsubscribe = bus.subscribe((name, payload) => {
          if (!output.verbose || output.json) return;
          if (name === 'runLog') {
            const event = payload as EventPayload<'runLog'>;
            if (event.taskId === task.id) console.log(event.message);
          } else if (name === 'runProgress') {
            const event = payload as EventPayload<'runProgress'>;
            if (event.taskId === task.id) {
              process.stderr.write(`\r${event.dataset}: ${formatBytes(event.bytesSent)}${event.bytesTotal ? ` of ${formatBytes(event.bytesTotal)}` : ''} at ${formatBytes(event.bytesPerSecond)}/s${event.etaSeconds !== null ? `, ${Math.round(event.etaSeconds)} s left` : ''}   `);
            }
          }
        });
        try {
          const report = await runs.run(task.id, { by: 'cli', dryRun: values['dry-run'], estimate: output.verbose && !output.json, ...(values.confirm ? { confirmation: values.confirm } : {}), signal: controller.signal });
          if (verb === 'init' && report.result === 'FINISHED' && report.datasets.every((d) => d.plan.status === 'up-to-date') && !output.json) {
            console.log('already initialized: the destination has the newest snapshot (use "run" for incremental updates)');
          }
          printReport(report, output);
          return report.error ? exitCodeOf(report.error) : exitCodes.ok;
        } finally {
          unsubscribe();
        }
      }
      case 'doctor':
      case 'repair':
      case 'reset':
      case 'promote':
      case 'snapshot':
      case 'prune':
        return await maintenance(verb, target, { core: await core.get(), output, dryRun: values['dry-run'], ...(values.confirm ? { confirmation: values.confirm } : {}) });
      default:
        console.error(`unknown verb "${verb}"\n\n${usage}`);
        return exitCodes.usage;
    }
  } catch (error) {
    const appError = toAppError(error);
    printError(appError, output);
    return exitCodeOf(appError);
  } finally {
    await core.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      // Never a stack trace for the admin (ZRD_DEBUG=1 shows it, for a bug report).
      const message = error instanceof Error ? error.message : String(error);
      console.error(error instanceof AppFailure ? `error: ${message}` : `error: unexpected: ${message}\nhint: this is a bug; run again with ZRD_DEBUG=1 and report the output.`);
      if (process.env.ZRD_DEBUG && error instanceof Error) console.error(error.stack);
      process.exit(exitCodes.failed);
    },
  );
}
