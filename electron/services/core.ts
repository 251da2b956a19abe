import path from 'node:path';
import type { VersionInfo } from '../../shared/contract.ts';
import type { Connection, Settings } from '../../shared/schemas.ts';
import { EventBus } from './events/event-bus.ts';
import { EventHub, type EventClient, type EventSender } from './events/event-hub.ts';
import { appHandlers } from './handlers/app.ts';
import { connectionHandlers } from './handlers/connections.ts';
import type { CoreContext } from './handlers/context.ts';
import { datasetHandlers } from './handlers/datasets.ts';
import { fleetHandlers } from './handlers/fleet.ts';
import { logHandlers } from './handlers/logs.ts';
import { maintenanceHandlers } from './handlers/maintenance.ts';
import { portabilityHandlers } from './handlers/portability.ts';
import { schedulerHandlers } from './handlers/scheduler.ts';
import { runHandlers } from './handlers/runs.ts';
import { snapshotTaskHandlers } from './handlers/snapshot-tasks.ts';
import { snapshotHandlers } from './handlers/snapshots.ts';
import { sshHandlers } from './handlers/ssh.ts';
import { taskHandlers } from './handlers/tasks.ts';
import { openAppLog, type AppLog } from './logs/app-log.ts';
import { TaskLog } from './logs/task-log.ts';
import { dispatch, noCaller, type Caller, type Handlers } from './rpc/dispatcher.ts';
import { RunRegistry } from './runs/run-registry.ts';
import { SchedulerLock, describeHolder } from './schedules/scheduler-lock.ts';
import { fileLastTickStore } from './schedules/last-tick.ts';
import { TaskScheduler, describeMissedTimes, type ScheduledRun } from './schedules/task-scheduler.ts';
import type { CommandRunner } from './ssh/command-runner.ts';
import { createSshServices, type SshServices } from './ssh/ssh-services.ts';
import { hostKeyTrustFromStore } from './ssh/store-host-key-trust.ts';
import type { AppStore } from './store/app-store.ts';
import { FileCapabilityCache } from './tasks/capability-cache.ts';
import { NasRegistry } from './tasks/nas-registry.ts';
import { TaskRuns } from './tasks/task-runs.ts';

// The composition root: the Electron main process, the loopback bridge and the CLI each build exactly one core
// with createCore() and reach the domain only through it (verbs through `call`/`handlers`, events through `bus`).
// The handlers live one file per feature in ./handlers.

export interface CoreOptions {
  store: AppStore;
  versions: VersionInfo;
  /** The app's data folder: the app's SSH key and the task logs live under it. */
  configDir: string;
  /** Who starts runs from here: "app" (Electron), "bridge" or "cli". */
  by?: string;
  /** Called after settings change, e.g. so Electron can switch nativeTheme. */
  onSettingsChanged?: (settings: Settings) => void;
  /** Where a saved connection's commands run; default the pooled SSH runner. Tests pass scripted runners here. */
  runnerFor?: (connection: Connection) => CommandRunner;
  /** Keep each NAS's capability probe on disk between processes (default true; see capability-cache.ts). */
  capabilityCache?: boolean;
  /** Default: <configDir>/logs/app.log, written as `by`. */
  appLog?: AppLog;
}

export interface Core {
  handlers: Handlers;
  /**
   * A verb through the dispatcher: the request and the response checked against the contract, errors as a Result.
   * `caller`: the transport client it comes from (its run subscriptions and log tails); none for the CLI.
   */
  call(verb: string, request: unknown, caller?: Caller): ReturnType<typeof dispatch>;
  /** Every event, unfiltered (the CLI, tests). Transports connect clients instead. */
  bus: EventBus;
  /** A transport client (a window, a bridge WebSocket): gets app events, and run events it subscribed to. */
  connectClient(send: EventSender): EventClient;
  store: AppStore;
  ssh: SshServices;
  nas: NasRegistry;
  runs: TaskRuns;
  taskLog: TaskLog;
  /** The application log (pino, JSON lines): app messages, every remote command, unexpected errors. */
  appLog: AppLog;
  /** Runs scheduled replication and snapshot tasks; started by the host process (Electron main, the bridge, the daemon). */
  scheduler: TaskScheduler;
  /** Closes pooled SSH connections and stops running tasks. */
  dispose(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  const { store } = options;
  const by = options.by ?? 'app';
  const bus = new EventBus();
  const appLog = options.appLog ?? openAppLog(path.join(options.configDir, 'logs'), { program: by });
  const log: CoreContext['log'] = (level, message, taskId) => {
    appLog[level](message, taskId ? { taskId } : {});
    bus.emit('log', { at: new Date().toISOString(), level, source: taskId ? 'task' : 'app', message, ...(taskId ? { taskId } : {}) });
  };

  const ssh = createSshServices({
    configDir: options.configDir,
    trust: hostKeyTrustFromStore(store),
    connectTimeoutMs: () => store.getSettings().connectTimeoutSeconds * 1000,
    // A NAS's own connect timeout (Add/Edit NAS) wins over the setting.
    connectTimeoutMsFor: (connectionId) => {
      const own = store.listConnections().find((c) => c.id === connectionId)?.connectTimeoutSeconds;
      return own === undefined ? undefined : own * 1000;
    },
    log: (entry) => {
      // Commands are in the app log through `record`; connection events are worth a line there and in the UI.
      if (entry.level !== 'debug') log(entry.level, entry.message);
    },
    record: (entry) => appLog.command(entry),
  });
  const capabilityCache = options.capabilityCache === false ? null : new FileCapabilityCache(options.configDir);
  const nas = new NasRegistry(store, options.runnerFor ? { runnerFor: options.runnerFor } : ssh, capabilityCache);
  const hub = new EventHub(bus);
  const registry = new RunRegistry({
    emit: (event) => {
      // The app log keeps each run's start and end (its lines are in the task's own log).
      if (event.name === 'runStarted') appLog.info(`Run ${event.payload.run.runId} of "${event.payload.run.taskName}" started by ${event.payload.run.by}.`, { event: 'run', run: event.payload.run });
      if (event.name === 'runFinished') appLog.info(`Run ${event.payload.run.runId} of "${event.payload.run.taskName}": ${event.payload.run.state}.`, { event: 'run', run: event.payload.run });
      bus.emit(event.name, event.payload as never);
    },
  });
  const taskLog = new TaskLog(path.join(options.configDir, 'logs'));
  const runs = new TaskRuns({ store, nas, registry, taskLog, onStatus: (status) => bus.emit('status', status) });

  const ctx: CoreContext = {
    store,
    bus,
    ssh,
    nas,
    runs,
    taskLog,
    versions: options.versions,
    by,
    log,
    engineDeps: () => ({ nas: (id) => nas.nas(id), by }),
    connection: (id) => store.getConnection(id),
    onSettingsChanged: options.onSettingsChanged,
  };
  const handlers: Handlers = {
    ...appHandlers(ctx),
    ...connectionHandlers(ctx),
    ...sshHandlers(ctx),
    ...datasetHandlers(ctx),
    ...taskHandlers(ctx),
    ...runHandlers(ctx),
    ...maintenanceHandlers(ctx),
    ...snapshotTaskHandlers(ctx),
    ...snapshotHandlers(ctx),
    ...fleetHandlers(ctx),
    ...portabilityHandlers(ctx),
    ...schedulerHandlers(ctx, () => scheduler),
    ...logHandlers(ctx),
  };

  // Who a scheduled run says started it: "app (schedule)", "bridge (schedule)"; the daemon runs nothing else.
  const scheduledBy = by === 'daemon' ? by : `${by} (schedule)`;
  const scheduler = new TaskScheduler({
    jobs: () => [
      ...store.listTasks().map((task) => ({
        key: `replication:${task.id}`,
        schedule: task.schedule,
        run: ({ missed }: ScheduledRun) => {
          // A catch-up says so in the task's log, before the run's own lines.
          if (missed) {
            log('info', `${task.name}: ${describeMissedTimes(missed)}`, task.id);
            taskLog.append(task.id, 'info', describeMissedTimes(missed));
          }
          // The daemon's runs have no one watching their progress: no size estimates (issue 17).
          return runs.startReplication(task.id, { by: scheduledBy, estimate: by !== 'daemon' }).done;
        },
      })),
      ...store.listSnapshotTasks().map((task) => ({
        key: `snapshot:${task.id}`,
        schedule: task.schedule,
        run: ({ missed }: ScheduledRun) => {
          if (missed) log('info', `Periodic snapshots of ${task.dataset}: ${describeMissedTimes(missed)}`);
          return runs.startSnapshot(task.id, { by: scheduledBy }).done;
        },
      })),
    ],
    lastTick: fileLastTickStore(options.configDir),
    paused: () => store.getSettings().schedulesPaused,
    onError: (key, error) => log('error', `Scheduled ${key} failed: ${error instanceof Error ? error.message : String(error)}`),
    // One scheduler per settings folder: the app, the bridge and the daemon do not run the same schedules twice.
    lock: new SchedulerLock(options.configDir, { program: by }),
    onStandby: (holder) => log('warn', `Scheduled runs do not start here: ${describeHolder(holder)} runs the schedules of this settings folder. They start here when it stops.`),
    onActive: () => log('info', 'This process now runs the scheduled tasks of this settings folder.'),
  });

  for (const message of store.warnings) log('warn', message);
  store.onWarning((message) => log('warn', message));
  return {
    handlers,
    call: (verb, request, caller = noCaller) => dispatch(handlers, verb, request, caller, (where, error) => appLog.failure(where, error)),
    bus,
    connectClient: (send) => hub.connect(send),
    store,
    ssh,
    nas,
    runs,
    taskLog,
    appLog,
    scheduler,
    dispose: async () => {
      await scheduler.stop();
      // Runs stop (a transfer stays resumable) and write their reports before the connections close.
      await registry.dispose();
      hub.dispose();
      await ssh.closeAll();
    },
  };
}
