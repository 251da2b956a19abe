import path from 'node:path';
import type { z } from 'zod';
import type { PruneResultSchema, VersionInfoSchema } from '../../shared/contract.ts';
import type { Connection } from '../../shared/schemas.ts';
import { EventBus } from './events/event-bus.ts';
import { createFleetHandlers } from './fleet/fleet-handlers.ts';
import type { EngineDeps, EngineEvent } from './replication/replication-engine.ts';
import { doctorTask, promoteTask, repairTask, resetTask } from './replication/task-maintenance.ts';
import type { Handlers } from './rpc/dispatcher.ts';
import type { CommandRunner } from './ssh/command-runner.ts';
import { pruneSnapshots, type PruneResult } from './snapshots/periodic-snapshots.ts';
import { createSshServices, type SshServices } from './ssh/ssh-services.ts';
import { hostKeyTrustFromStore } from './ssh/store-host-key-trust.ts';
import { delegationPlan } from './ssh/zfs-delegation.ts';
import type { AppStore } from './store/app-store.ts';
import { TaskScheduler } from './schedules/task-scheduler.ts';
import { NasRegistry } from './tasks/nas-registry.ts';
import { runSnapshotTask } from './tasks/snapshot-task-runs.ts';
import { TaskRuns, taskStateFromHistory } from './tasks/task-runs.ts';
import { listDatasets } from './zfs/datasets.ts';
import { listPools } from './zfs/pools.ts';
import { listSnapshots } from './zfs/snapshots.ts';

export interface AppServicesOptions {
  store: AppStore;
  versions: z.infer<typeof VersionInfoSchema>;
  /** The app's data folder: the app's SSH key and the task logs live under it. */
  configDir: string;
  /** Who starts runs from here: "app" (Electron) or "bridge". */
  by?: string;
  /** Called after settings change, e.g. so Electron can switch nativeTheme. */
  onSettingsChanged?: (settings: ReturnType<AppStore['getSettings']>) => void;
  /** Where a saved connection's commands run; default the pooled SSH runner. Tests pass scripted runners here. */
  runnerFor?: (connection: Connection) => CommandRunner;
}

/** A prune result as plain data: its retention decisions carry dates, which cross the transports as ISO strings. */
function plainPruneResult(result: PruneResult): z.output<typeof PruneResultSchema> {
  return {
    ...result,
    plan: {
      ...result.plan,
      datasets: result.plan.datasets.map((d) => ({ ...d, decisions: d.decisions.map((decision) => ({ ...decision, expiresAt: decision.expiresAt?.toISOString() ?? null })) })),
    },
  };
}

export interface AppServices {
  handlers: Handlers;
  bus: EventBus;
  store: AppStore;
  ssh: SshServices;
  runs: TaskRuns;
  /** Runs scheduled replication and snapshot tasks; started by the host process (Electron main, the bridge). */
  scheduler: TaskScheduler;
  /** Closes pooled SSH connections and stops running tasks. */
  dispose(): Promise<void>;
}

/** The domain behind every verb, shared by the Electron main process and the loopback bridge. */
export function createAppServices(options: AppServicesOptions): AppServices {
  const { store, versions } = options;
  const bus = new EventBus();
  const log = (level: 'info' | 'warn' | 'error', message: string, taskId?: string) =>
    bus.emit('log', { at: new Date().toISOString(), level, source: taskId ? 'task' : 'app', message, ...(taskId ? { taskId } : {}) });

  /** A NAS's own connect timeout, else the setting. */
  const connectionTimeoutMs = (connectionId: string): number => {
    const own = store.listConnections().find((c) => c.id === connectionId)?.connectTimeoutSeconds;
    return (own ?? store.getSettings().connectTimeoutSeconds) * 1000;
  };
  const ssh = createSshServices({
    configDir: options.configDir,
    trust: hostKeyTrustFromStore(store),
    connectTimeoutMs: () => store.getSettings().connectTimeoutSeconds * 1000,
    connectTimeoutMsFor: (connectionId) => connectionTimeoutMs(connectionId),
    log: (entry) => {
      if (entry.level !== 'debug') log(entry.level, entry.message);
    },
  });
  const nas = new NasRegistry(store, options.runnerFor ? { runnerFor: options.runnerFor } : ssh);
  const engineEvent = (taskId: string, event: EngineEvent) => {
    if (event.kind === 'log') log(event.level, event.message, taskId);
    else if (event.kind === 'progress') bus.emit('progress', { taskId, dataset: event.dataset, bytesSent: event.bytesSent, bytesTotal: event.bytesTotal, bytesPerSecond: event.bytesPerSecond, etaSeconds: event.etaSeconds });
    else if (event.kind === 'state') bus.emit('status', { taskId, state: 'RUNNING', detail: event.state });
  };
  const runs = new TaskRuns({ store, nas, logDir: path.join(options.configDir, 'logs'), onEvent: engineEvent });
  /** What the maintenance functions need: the NAS hosts, who acts, and the engine's events (a repair runs a replication). */
  const engineDeps = (taskId: string): EngineDeps => ({ nas: (id) => nas.nas(id), by: options.by ?? 'app', emit: (event) => engineEvent(taskId, event) });
  const connection = (id: string): Connection => store.getConnection(id);
  const keySteps = (connectionId: string) => (step: { step: string; status: 'running' | 'done' | 'failed'; detail?: string }) =>
    bus.emit('keyExchangeStep', { connectionId, step: step.step, status: step.status, ...(step.detail === undefined ? {} : { detail: step.detail }) });
  const connectionsChanged = () => bus.emit('connectionsChanged', { connections: store.listConnections() });

  const handlers: Handlers = {
    ping: ({ message }) => ({ message, receivedAt: new Date().toISOString() }),
    getVersion: () => versions,
    getStoreStatus: () => ({
      path: store.path,
      recoveredFrom: store.recovery?.movedTo ?? null,
      message: store.recovery?.message ?? null,
    }),
    getSettings: () => store.getSettings(),
    updateSettings: (patch) => {
      const settings = store.updateSettings(patch);
      options.onSettingsChanged?.(settings);
      bus.emit('settingsChanged', settings);
      return settings;
    },
    listConnections: () => store.listConnections(),
    saveConnection: (input) => {
      const saved = store.saveConnection(input);
      nas.forget(saved.id);
      ssh.pool.close(saved.id);
      log('info', `Saved connection "${saved.name}" (${saved.username}@${saved.host}:${saved.port}).`);
      connectionsChanged();
      return saved;
    },
    removeConnection: ({ id }) => {
      const removed = store.removeConnection(id);
      if (removed) {
        nas.forget(id);
        ssh.pool.close(id);
        connectionsChanged();
      }
      return { removed };
    },

    probeHostKey: async ({ connectionId }) => {
      const target = connection(connectionId);
      const key = await ssh.probeHostKey(target.host, target.port);
      return { type: key.type, sha256: key.sha256 };
    },
    confirmHostKey: async ({ connectionId, sha256 }) => {
      await ssh.confirmHostKey(connection(connectionId), sha256);
      nas.forget(connectionId);
      connectionsChanged();
      return connection(connectionId);
    },
    testConnection: async ({ connectionId }) => {
      const result = await ssh.testConnection(connection(connectionId));
      const host = await nas.host(connectionId);
      return {
        handshakeMs: result.handshakeMs,
        cipher: result.cipher,
        hostKey: result.hostKey,
        os: host.capabilities.os,
        zfsVersion: host.capabilities.userland.text,
        jsonOutput: host.capabilities.jsonOutput,
      };
    },
    installAppKey: async ({ connectionId, password }) => {
      const result = await ssh.installAppKey(connection(connectionId), password, keySteps(connectionId));
      return { added: result.added, keyLoginMs: result.keyLoginMs };
    },
    establishNasTrust: async ({ sourceConnectionId, destinationConnectionId, destinationAddress, reverseAddress }) => {
      const source = connection(sourceConnectionId);
      const destination = connection(destinationConnectionId);
      const directions = [{ from: source.name, to: destination.name }];
      await ssh.establishNasToNasTrust(source, destination, destinationAddress, keySteps(sourceConnectionId));
      if (reverseAddress) {
        await ssh.establishNasToNasTrust(destination, source, reverseAddress, keySteps(destinationConnectionId));
        directions.push({ from: destination.name, to: source.name });
      }
      return { directions };
    },
    removeNasTrust: async ({ sourceConnectionId, destinationConnectionId, bothDirections }) => {
      const source = connection(sourceConnectionId);
      const destination = connection(destinationConnectionId);
      await ssh.removeNasToNasTrust(source, destination, { onStep: keySteps(sourceConnectionId) });
      if (bothDirections) await ssh.removeNasToNasTrust(destination, source, { onStep: keySteps(destinationConnectionId) });
      return { directions: bothDirections ? 2 : 1 };
    },
    zfsAllowCommands: ({ taskId }) => {
      const task = store.getTask(taskId);
      const plan = delegationPlan({
        sourceUser: connection(task.sourceConnectionId).username,
        sourceDataset: task.sources[0]!.name,
        destinationUser: connection(task.destinationConnectionId).username,
        destinationDataset: task.destinationParent,
        receivedProperties: Object.keys(task.properties.override).concat(task.destinationReadonly ? ['readonly'] : []),
      });
      return { source: plan.source.command, destination: plan.destination.command, revokeSource: plan.revoke.source, revokeDestination: plan.revoke.destination, notes: plan.notes };
    },
    listPools: async ({ connectionId }) => (await listPools(await nas.host(connectionId))).map((p) => ({
      name: p.name,
      health: p.health,
      sizeBytes: p.sizeBytes,
      allocatedBytes: p.allocatedBytes,
      freeBytes: p.freeBytes,
      readonly: p.readonly,
    })),
    listDatasets: async ({ connectionId, root }) =>
      (await listDatasets(await nas.host(connectionId), root === undefined ? {} : { root })).map((d) => ({
        name: d.name,
        type: d.type,
        usedBytes: d.usedBytes,
        availableBytes: d.availableBytes,
        referencedBytes: d.referencedBytes,
        encryption: d.encryption,
        keyStatus: d.keyStatus,
        readonly: d.readonly,
        receiveResumeToken: d.receiveResumeToken,
        mountpoint: d.mountpoint,
      })),
    listSnapshots: async ({ connectionId, dataset, recursive }) =>
      (await listSnapshots(await nas.host(connectionId), dataset, { recursive })).map((s) => ({
        name: s.name,
        type: s.type,
        guid: s.guid,
        createtxg: s.createtxg,
        creation: s.creation,
        usedBytes: s.usedBytes,
        referencedBytes: s.referencedBytes,
        userRefs: s.userRefs,
      })),

    listTasks: () =>
      store.listTasks().map((task) => ({
        task,
        state: runs.isRunning(task.id) ? 'RUNNING' : taskStateFromHistory(store, task.id),
        lastRun: store.listRuns(task.id).at(-1) ?? null,
      })),
    saveTask: (input) => store.saveTask(input),
    removeTask: ({ id }) => {
      if (runs.isRunning(id)) runs.cancel(id);
      return { removed: store.removeTask(id) };
    },
    runTask: async ({ taskId, dryRun, confirmation, destinationKey }) => {
      if (!dryRun) bus.emit('status', { taskId, state: 'RUNNING' });
      // The key goes to this run's engine only: TaskRuns keeps it out of the history and the log.
      const report = await runs.run(taskId, { by: options.by ?? 'app', dryRun, ...(confirmation === undefined ? {} : { confirmation }), ...(destinationKey === undefined ? {} : { destinationKey }) });
      if (!dryRun) bus.emit('status', { taskId, state: report.result === 'FINISHED' ? 'FINISHED' : 'FAILED', ...(report.error ? { detail: report.error.message } : {}) });
      return report;
    },
    cancelTask: ({ taskId }) => ({ cancelled: runs.cancel(taskId) }),
    listRuns: ({ taskId }) => store.listRuns(taskId),

    doctorTask: ({ taskId }) => doctorTask(store.getTask(taskId), engineDeps(taskId)),
    repairTask: ({ taskId, dryRun, confirmation, destinationKey }) =>
      repairTask(store.getTask(taskId), engineDeps(taskId), { dryRun, ...(confirmation === undefined ? {} : { confirmation }), ...(destinationKey === undefined ? {} : { destinationKey }) }),
    resetTask: ({ taskId, dryRun }) => resetTask(store.getTask(taskId), engineDeps(taskId), { dryRun }),
    promoteTask: ({ taskId, dryRun }) => promoteTask(store.getTask(taskId), engineDeps(taskId), { dryRun }),

    listSnapshotTasks: () => store.listSnapshotTasks(),
    saveSnapshotTask: (input) => store.saveSnapshotTask(input),
    removeSnapshotTask: ({ id }) => ({ removed: store.removeSnapshotTask(id) }),
    runSnapshotTask: async ({ taskId, dryRun }) => {
      const { taken, pruned } = await runSnapshotTask(store.getSnapshotTask(taskId), nas, { dryRun });
      if (!dryRun) log('info', `Periodic snapshot ${taken.snapshots.join(', ')}${pruned.destroyed.length > 0 ? `; pruned ${pruned.destroyed.join(', ')}` : ''}.`);
      return { taskId, taken, pruned: plainPruneResult(pruned) };
    },
    pruneSnapshotTask: async ({ taskId, dryRun }) => {
      const task = store.getSnapshotTask(taskId);
      const pruned = await pruneSnapshots(task, await nas.host(task.connectionId), new Date(), { dryRun });
      if (!dryRun && pruned.destroyed.length > 0) log('info', `Pruned ${pruned.destroyed.join(', ')}.`);
      return { taskId, pruned: plainPruneResult(pruned) };
    },

    ...createFleetHandlers({ store, ssh, nas, bus, configDir: options.configDir, connectTimeoutMs: connectionTimeoutMs }),
  };

  const scheduler = new TaskScheduler({
    jobs: () => [
      ...store.listTasks().map((task) => ({
        key: `replication:${task.id}`,
        schedule: task.schedule,
        run: () => handlers.runTask({ taskId: task.id, dryRun: false }) as Promise<unknown>,
      })),
      ...store.listSnapshotTasks().map((task) => ({
        key: `snapshot:${task.id}`,
        schedule: task.schedule,
        run: () => handlers.runSnapshotTask({ taskId: task.id, dryRun: false }) as Promise<unknown>,
      })),
    ],
    onError: (key, error) => log('error', `Scheduled ${key} failed: ${error instanceof Error ? error.message : String(error)}`),
  });

  if (store.recovery) log('warn', store.recovery.message);
  return {
    handlers,
    bus,
    store,
    ssh,
    runs,
    scheduler,
    dispose: async () => {
      scheduler.stop();
      for (const task of store.listTasks()) runs.cancel(task.id);
      await ssh.closeAll();
    },
  };
}
