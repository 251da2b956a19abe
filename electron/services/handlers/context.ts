import type { VersionInfo } from '../../../shared/contract.ts';
import type { Connection, Settings } from '../../../shared/schemas.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { TaskLog } from '../logs/task-log.ts';
import type { EngineDeps } from '../replication/replication-engine.ts';
import type { Handlers } from '../rpc/dispatcher.ts';
import type { SshServices } from '../ssh/ssh-services.ts';
import type { AppStore } from '../store/app-store.ts';
import type { NasRegistry } from '../tasks/nas-registry.ts';
import type { TaskRuns } from '../tasks/task-runs.ts';

/** What every feature's handlers share: built once by createCore (electron/services/core.ts). */
export interface CoreContext {
  store: AppStore;
  bus: EventBus;
  ssh: SshServices;
  nas: NasRegistry;
  runs: TaskRuns;
  taskLog: TaskLog;
  versions: VersionInfo;
  /** Who starts runs from this process: "app" (Electron), "bridge" or "cli". */
  by: string;
  log(level: 'info' | 'warn' | 'error', message: string, taskId?: string): void;
  /** What the maintenance functions need: the NAS hosts, who acts, and the engine's events (a repair runs a replication). */
  engineDeps(taskId: string): EngineDeps;
  connection(id: string): Connection;
  onSettingsChanged?: ((settings: Settings) => void) | undefined;
}

/** The handlers of one feature: a slice of the contract's verbs. */
export type HandlerGroup<K extends keyof Handlers> = Pick<Handlers, K>;
