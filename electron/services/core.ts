import path from 'node:path';
import type { VersionInfo } from '../../shared/contract.ts';
import type { Connection, Settings } from '../../shared/schemas.ts';
import { EventBus } from './events/event-bus.ts';
import type { EngineEvent } from './replication/replication-engine.ts';
import { appHandlers } from './handlers/app.ts';
import { connectionHandlers } from './handlers/connections.ts';
import type { CoreContext } from './handlers/context.ts';
import { datasetHandlers } from './handlers/datasets.ts';
import { fleetHandlers } from './handlers/fleet.ts';
import { maintenanceHandlers } from './handlers/maintenance.ts';
import { portabilityHandlers } from './handlers/portability.ts';
import { schedulerHandlers } from './handlers/scheduler.ts';
import { runHandlers } from './handlers/runs.ts';
import { snapshotTaskHandlers } from './handlers/snapshot-tasks.ts';
import { sshHandlers } from './handlers/ssh.ts';
import { taskHandlers } from './handlers/tasks.ts';
import { dispatch, type Handlers } from './rpc/dispatcher.ts';
import { SchedulerLock, describeHolder } from './schedules/scheduler-lock.ts';
import { fileLastTickStore } from './schedules/last-tick.ts';
import { TaskScheduler, describeMissedTimes, type ScheduledRun } from './schedules/task-scheduler.ts';
import type { CommandRunner } from './ssh/command-runner.ts';
import { createSshServices, type SshServices } from './ssh/ssh-services.ts';
import { hostKeyTrustFromStore } from './ssh/store-host-key-trust.ts';
import type { AppStore } from './store/app-store.ts';
import { FileCapabilityCache } from './tasks/capability-cache.ts';
import { NasRegistry } from './tasks/nas-registry.ts';
import { TaskRuns, appendTaskLogLine } from './tasks/task-runs.ts';

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
}

export interface Core {
  handlers: Handlers;
  /** A verb through the dispatcher: the request and the response checked against the contract, errors as a Result. */
  call(verb: string, request: unknown): ReturnType<typeof dispatch>;
  bus: EventBus;
  store: AppStore;
  ssh: SshServices;
  nas: NasRegistry;
  runs: TaskRuns;
  /** Runs scheduled replication and snapshot tasks; started by the host process (Electron main, the bridge, the daemon). */
  scheduler: TaskScheduler;
  /** Closes pooled SSH connections and stops running tasks. */
  dispose(): Promise<void>;
}

export function createCore(options: CoreOptions): Core {
  const { store } = options;
  const by = options.by ?? 'app';
  const bus = new EventBus();
  const log: CoreContext['log'] = (level, message, taskId) =>
    bus.emit('log', { at: new Date().toISOString(), level, source: taskId ? 'task' : 'app', message, ...(taskId ? { taskId } : {}) });

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
      if (entry.level !== 'debug') log(entry.level, entry.message);
    },
  });
  const capabilityCache = options.capabilityCache === false ? null : new FileCapabilityCache(options.configDir);
  const nas = new NasRegistry(store, options.runnerFor ? { runnerFor: options.runnerFor } : ssh, capabilityCache);
  const engineEvent = (taskId: string, event: EngineEvent) => {
    if (event.kind === 'log') log(event.level, event.message, taskId);
    else if (event.kind === 'progress') bus.emit('progress', { taskId, dataset: event.dataset, bytesSent: event.bytesSent, bytesTotal: event.bytesTotal, bytesPerSecond: event.bytesPerSecond, etaSeconds: event.etaSeconds });
    else if (event.kind === 'state') bus.emit('status', { taskId, state: 'RUNNING', detail: event.state });
  };
  const runs = new TaskRuns({ store, nas, logDir: path.join(options.configDir, 'logs'), onEvent: engineEvent });

  const ctx: CoreContext = {
    store,
    bus,
    ssh,
    nas,
    runs,
    versions: options.versions,
    by,
    log,
    engineDeps: (taskId) => ({ nas: (id) => nas.nas(id), by, emit: (event) => engineEvent(taskId, event) }),
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
    ...fleetHandlers(ctx),
    ...portabilityHandlers(ctx),
    ...schedulerHandlers(ctx, () => scheduler),
  };

  const logDir = path.join(options.configDir, 'logs');
  const scheduler = new TaskScheduler({
    jobs: () => [
      ...store.listTasks().map((task) => ({
        key: `replication:${task.id}`,
        schedule: task.schedule,
        run: async ({ missed }: ScheduledRun) => {
          // A catch-up says so in the task's log, before the run's own lines.
          if (missed) {
            log('info', `${task.name}: ${describeMissedTimes(missed)}`, task.id);
            await appendTaskLogLine(logDir, task.id, 'info', describeMissedTimes(missed));
          }
          return handlers.runTask({ taskId: task.id, dryRun: false }) as Promise<unknown>;
        },
      })),
      ...store.listSnapshotTasks().map((task) => ({
        key: `snapshot:${task.id}`,
        schedule: task.schedule,
        run: ({ missed }: ScheduledRun) => {
          if (missed) log('info', `Periodic snapshots of ${task.dataset}: ${describeMissedTimes(missed)}`);
          return handlers.runSnapshotTask({ taskId: task.id, dryRun: false }) as Promise<unknown>;
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
    call: (verb, request) => dispatch(handlers, verb, request),
    bus,
    store,
    ssh,
    nas,
    runs,
    scheduler,
    dispose: async () => {
      await scheduler.stop();
      for (const task of store.listTasks()) runs.cancel(task.id);
      await ssh.closeAll();
    },
  };
}
