import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { EventPayload } from '../../../shared/contract.ts';
import { cronSchedule } from '../../../shared/cron-schedule.ts';
import { AppFailure } from '../../../shared/result.ts';
import type { Core } from '../../services/core.ts';
import { SchedulerLock, describeHolder } from '../../services/schedules/scheduler-lock.ts';
import { crontabLine, serviceUnitText, systemctlCommands, systemdRunning, unitPath, type DaemonCommand } from '../../services/schedules/service-unit.ts';
import { exitCodes, invoke, usageError, withErrors, type CliEnvironment, type CliIo, type Output } from '../cli-support.ts';
import { packageRoot } from '../package-root.ts';

// `zfs-replication daemon`: the schedules without a UI, through the same core and scheduler as the app (one
// scheduler per settings folder: a daemon started while the app runs the schedules stands by, and takes over when
// the app quits). SIGTERM or SIGINT stops it cleanly: no new run starts, the runs in flight are cancelled (their
// transfers resume at the next run) and their end is waited for. `schedule install|uninstall|status|pause|resume`
// manage it.

export const daemonUsage = `usage: zfs-replication daemon [--once] [--verbose]
  Runs every replication and periodic snapshot schedule of the settings folder until stopped (SIGTERM/SIGINT:
  runs in flight are cancelled and resume at their next run). Times missed while it was not running are made up
  once. Only one process per settings folder runs the schedules: the others stand by.
  --once      run what is due (or was missed) now, wait for it, then exit (for cron)
  --verbose   also print each run's log lines`;

export const scheduleUsage = `usage: zfs-replication schedule <command> [options]

commands:
  install [--user | --system [--run-as USER]] [--print] [--no-enable] [--cron]
      write a systemd unit that runs "zfs-replication daemon" (a user unit by default; --system: a system unit
      running as USER, needs root) and enable it now; --print: only show the unit; --no-enable: write it only.
      Where systemd is not running (or with --cron), print a crontab line instead.
  uninstall [--user | --system]   disable and remove the unit
  status                          who runs the schedules, whether they are paused, each task's next time
  pause | resume                  stop / start scheduled runs in whichever process runs them (runs by hand still work)`;

/** One line per message (a remote command's full script is for --verbose). */
function logLine(event: Pick<EventPayload<'log'>, 'at' | 'level' | 'message'>, verbose: boolean): string {
  const lines = event.message.split('\n');
  const message = verbose || lines.length === 1 ? event.message : `${lines[0]} … ${lines.at(-1)}`;
  return `${event.at} ${event.level.toUpperCase().padEnd(5)} ${message}`;
}

export async function daemonCommand(argv: string[], env: CliEnvironment): Promise<number> {
  const { io } = env;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: { once: { type: 'boolean', default: false }, verbose: { type: 'boolean', short: 'v', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    return usageError(io, (error as Error).message, daemonUsage);
  }
  const { values } = parsed;
  if (values.help) {
    io.out(daemonUsage);
    return exitCodes.ok;
  }
  const output: Output = { json: false, verbose: values.verbose };
  return withErrors(output, io, async () => {
    const core = await env.openCore({ by: 'daemon' });
    // The app log's messages (scheduler, runs started and ended, errors) on stdout: journald or the cron log keep them.
    // A run's own lines (runLog) too when --verbose, and its errors always.
    const unsubscribe = core.bus.subscribe((name, payload) => {
      if (name === 'runLog') {
        const event = payload as EventPayload<'runLog'>;
        if (values.verbose || event.level === 'error') io.out(logLine(event, values.verbose));
        return;
      }
      if (name !== 'log') return;
      const event = payload as EventPayload<'log'>;
      if (event.taskId && !values.verbose && event.level !== 'error' && !event.message.includes('Catch-up')) return;
      io.out(logLine(event, values.verbose));
    });
    try {
      return values.once ? await runOnce(core, io) : await runUntilSignalled(core, io);
    } finally {
      unsubscribe();
    }
  });
}

async function shutDown(core: Core, io: CliIo, why: string): Promise<void> {
  core.scheduler.stopTicking();
  const running = core.scheduler.runningJobs();
  if (running.length > 0) io.out(`${new Date().toISOString()} INFO  ${why}: cancelling ${running.length} run(s) in flight; their transfers resume at the next run.`);
  for (const task of core.store.listTasks()) core.runs.cancel(task.id);
  await core.scheduler.drain();
  await core.scheduler.stop();
}

async function runOnce(core: Core, io: CliIo): Promise<number> {
  const status = await core.scheduler.start();
  if (status.state !== 'running') {
    // Cron starts one every minute: while another process runs the schedules, this one has nothing to do.
    await core.scheduler.stop();
    return exitCodes.ok;
  }
  const stop = () => void shutDown(core, io, 'stopping');
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    core.scheduler.tick();
    await core.scheduler.drain();
    await core.scheduler.stop();
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
  return exitCodes.ok;
}

async function runUntilSignalled(core: Core, io: CliIo): Promise<number> {
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const status = await core.scheduler.start();
  const tasks = core.store.listTasks().filter((t) => t.schedule.kind === 'cron').length + core.store.listSnapshotTasks().filter((t) => t.schedule.kind === 'cron').length;
  io.out(`${new Date().toISOString()} INFO  zfs-replication daemon (pid ${process.pid}) for ${core.store.configDir}: ${tasks} scheduled task(s); ${status.state === 'running' ? 'running the schedules' : 'standing by'}.`);
  // The scheduler's timers do not keep a process alive (the app's and the bridge's have other reasons to live): this does.
  const keepAlive = setInterval(() => undefined, 3_600_000);
  const signal = await signalled;
  clearInterval(keepAlive);
  await shutDown(core, io, `${signal} received`);
  io.out(`${new Date().toISOString()} INFO  zfs-replication daemon stopped.`);
  return exitCodes.ok;
}

/** How this installation's CLI is started: this Node and bin/zfs-replication.mjs. */
export function daemonCommandLine(configDir: string): DaemonCommand {
  return { node: process.execPath, script: path.join(packageRoot(), 'bin', 'zfs-replication.mjs'), configDir };
}

export interface ScheduleSystem {
  systemdRunning(): boolean;
  /** Runs a command (systemctl); returns its exit status and output. */
  run(argv: string[]): { status: number | null; output: string };
  writeFile(file: string, text: string): void;
  removeFile(file: string): void;
  isRoot(): boolean;
  userName(): string;
}

export const realSystem: ScheduleSystem = {
  systemdRunning: () => systemdRunning(),
  run: (argv) => {
    const result = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim() };
  },
  writeFile: (file, text) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, { mode: 0o644 });
  },
  removeFile: (file) => rmSync(file, { force: true }),
  isRoot: () => process.getuid?.() === 0,
  userName: () => process.env.SUDO_USER ?? userInfo().username,
};

export async function scheduleCommand(argv: string[], env: CliEnvironment, system: ScheduleSystem = realSystem): Promise<number> {
  const [command, ...rest] = argv;
  const { io } = env;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.out(scheduleUsage);
    return command ? exitCodes.ok : exitCodes.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: false,
      options: {
        user: { type: 'boolean', default: false },
        system: { type: 'boolean', default: false },
        'run-as': { type: 'string' },
        print: { type: 'boolean', default: false },
        'no-enable': { type: 'boolean', default: false },
        cron: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message, scheduleUsage);
  }
  const { values } = parsed;
  if (values.help) {
    io.out(scheduleUsage);
    return exitCodes.ok;
  }
  if (values.user && values.system) return usageError(io, 'Choose --user or --system.', scheduleUsage);
  const output: Output = { json: values.json, verbose: false };
  const scope = values.system ? 'system' : 'user';
  return withErrors(output, io, async () => {
    switch (command) {
      case 'install':
        return installSchedule(env, system, { scope, runAs: values['run-as'], print: values.print, enable: !values['no-enable'], cron: values.cron });
      case 'uninstall': {
        const file = unitPath(scope);
        for (const argv of systemctlCommands(scope, 'disable')) {
          const result = system.run(argv);
          if (result.status !== 0 && argv.includes('disable')) io.err(`${argv.join(' ')}: ${result.output || `exit ${result.status}`}`);
        }
        system.removeFile(file);
        io.out(`removed ${file}`);
        return exitCodes.ok;
      }
      case 'status': {
        const core = await env.openCore();
        const status = await invoke(core, 'schedulerStatus', {});
        // This process runs no scheduler: the one that does says who it is in the settings folder.
        const lockHolder = status.holder ?? new SchedulerLock(core.store.configDir, { program: 'cli' }).holder();
        const now = new Date();
        const rows = [
          ...core.store.listTasks().map((t) => ({ name: t.name, kind: 'replication', schedule: t.schedule })),
          ...core.store.listSnapshotTasks().map((t) => ({ name: t.dataset, kind: 'snapshots', schedule: t.schedule })),
        ].map((row) => ({ ...row, next: row.schedule.kind === 'cron' ? cronSchedule(row.schedule.expression, row.schedule.timeZone).next(now).toISOString() : null }));
        if (output.json) {
          io.out(JSON.stringify({ ok: true, paused: status.paused, holder: lockHolder, tasks: rows }, null, 2));
          return exitCodes.ok;
        }
        io.out(lockHolder ? `schedules run by ${describeHolder(lockHolder)}` : 'no process runs the schedules now (start the app, or "zfs-replication daemon", or "schedule install")');
        if (status.paused) io.out('schedules are PAUSED: no scheduled run starts ("zfs-replication schedule resume")');
        for (const row of rows) io.out(`  ${row.kind.padEnd(11)} ${row.name}  ${row.schedule.kind === 'cron' ? `"${row.schedule.expression}"${row.schedule.timeZone ? ` (${row.schedule.timeZone})` : ''}  next ${row.next}` : 'manual'}`);
        return exitCodes.ok;
      }
      case 'pause':
      case 'resume': {
        const core = await env.openCore();
        const settings = await invoke(core, 'updateSettings', { schedulesPaused: command === 'pause' });
        io.out(settings.schedulesPaused ? 'schedules paused: no scheduled run starts until "zfs-replication schedule resume" (runs by hand still work)' : 'schedules resumed (times missed while paused are not made up)');
        return exitCodes.ok;
      }
      default:
        return usageError(io, `unknown schedule command "${command}"`, scheduleUsage);
    }
  });
}

interface InstallOptions {
  scope: 'user' | 'system';
  runAs: string | undefined;
  print: boolean;
  enable: boolean;
  cron: boolean;
}

async function installSchedule(env: CliEnvironment, system: ScheduleSystem, options: InstallOptions): Promise<number> {
  const { io } = env;
  // The daemon refuses a settings folder that does not exist: check now rather than in a unit that fails later.
  await env.openCore();
  const command = daemonCommandLine(env.configDir);
  if (options.cron || (!options.print && !system.systemdRunning())) {
    if (!options.cron) io.err('systemd is not running here: add this line to your crontab (crontab -e) instead; it runs what is due every minute.');
    io.out(crontabLine(command));
    return exitCodes.ok;
  }
  if (options.scope === 'system' && !options.print && !system.isRoot()) {
    throw new AppFailure('PERMISSION_DENIED', 'A system unit is written to /etc/systemd/system, which needs root.', 'Run it with sudo (the daemon runs as --run-as USER, by default you), or install a user unit with --user.');
  }
  const runAs = options.scope === 'system' ? (options.runAs ?? system.userName()) : undefined;
  const text = serviceUnitText({ ...command, scope: options.scope, ...(runAs === undefined ? {} : { runAs }) });
  if (options.print) {
    io.out(text);
    return exitCodes.ok;
  }
  const file = unitPath(options.scope);
  system.writeFile(file, text);
  io.out(`wrote ${file}`);
  if (!options.enable) {
    io.out(`enable it with: ${systemctlCommands(options.scope, 'enable').map((argv) => argv.join(' ')).join(' && ')}`);
    return exitCodes.ok;
  }
  for (const argv of systemctlCommands(options.scope, 'enable')) {
    const result = system.run(argv);
    if (result.status !== 0) {
      throw new AppFailure('REMOTE_COMMAND_FAILED', `${argv.join(' ')} failed: ${result.output || `exit ${result.status}`}`, `The unit is written at ${file}; fix the cause and run: ${argv.join(' ')}`);
    }
  }
  io.out(`enabled and started ${path.basename(file)} (${options.scope} unit); logs: ${options.scope === 'user' ? 'journalctl --user -u zfs-replication' : 'journalctl -u zfs-replication'}`);
  if (options.scope === 'user') io.out(`so it also runs while you are logged out (an always-on machine): loginctl enable-linger ${system.userName()}`);
  return exitCodes.ok;
}
