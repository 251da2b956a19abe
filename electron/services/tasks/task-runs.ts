import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ReplicationTask, TaskState } from '../../../shared/task-schemas.ts';
import { runReplicationTask, type EngineEvent, type EngineRunOptions, type RunReport } from '../replication/replication-engine.ts';
import type { AppStore } from '../store/app-store.ts';
import type { RunHistoryInput } from '../store/run-history.ts';
import type { NasRegistry } from './nas-registry.ts';
import { runSnapshotTask } from './snapshot-task-runs.ts';

// Runs a stored task the same way from the app, the scheduler and the CLI: engine run, a line per event in the
// task's log file, a run record in the task's run history (store.history), and events for whoever listens (the UI, `watch`).

export interface TaskRunsOptions {
  store: AppStore;
  nas: NasRegistry;
  /** Folder of the per-task log files. */
  logDir: string;
  onEvent?: (taskId: string, event: EngineEvent) => void;
}

export function taskLogPath(logDir: string, taskId: string): string {
  return path.join(logDir, `${taskId}.log`);
}

/** One line in a task's log, in the format of the run's own lines (the scheduler's catch-up note). */
export async function appendTaskLogLine(logDir: string, taskId: string, level: string, message: string, at: Date = new Date()): Promise<void> {
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  await appendFile(taskLogPath(logDir, taskId), `${at.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`, { mode: 0o600 });
}

/** PENDING until a real run ends, then the result of the last one (REFUSED counts as FAILED: it needs the admin). */
export function taskStateFromHistory(store: AppStore, taskId: string): TaskState {
  let last = store.history.last(taskId);
  if (last?.result === 'DRY_RUN') last = store.history.list(taskId).filter((r) => r.result !== 'DRY_RUN').at(-1) ?? null;
  if (!last) return 'PENDING';
  return last.result === 'FINISHED' ? 'FINISHED' : 'FAILED';
}

export class TaskRuns {
  readonly #options: TaskRunsOptions;
  readonly #running = new Map<string, AbortController>();

  constructor(options: TaskRunsOptions) {
    this.#options = options;
  }

  isRunning(taskId: string): boolean {
    return this.#running.has(taskId);
  }

  state(taskId: string): TaskState {
    return this.#running.has(taskId) ? 'RUNNING' : taskStateFromHistory(this.#options.store, taskId);
  }

  cancel(taskId: string): boolean {
    const controller = this.#running.get(taskId);
    controller?.abort();
    return controller !== undefined;
  }

  async run(idOrName: string, options: Omit<EngineRunOptions, 'signal'> & { by: string; signal?: AbortSignal }): Promise<RunReport> {
    const { store, logDir } = this.#options;
    const task = store.getTask(idOrName);
    const controller = new AbortController();
    const outer = options.signal;
    outer?.addEventListener('abort', () => controller.abort(), { once: true });
    if (!options.dryRun) this.#running.set(task.id, controller);
    await mkdir(logDir, { recursive: true, mode: 0o700 });
    const logFile = taskLogPath(logDir, task.id);
    const lines: string[] = [];
    const flush = async () => {
      if (lines.length > 0) await appendFile(logFile, lines.splice(0).join(''), { mode: 0o600 });
    };
    const write = (level: string, message: string) => lines.push(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}\n`);
    write('info', `${options.dryRun ? 'Dry run' : 'Run'} of "${task.name}" started by ${options.by}.`);
    try {
      const runEngine = () => runReplicationTask(
        task,
        {
          nas: (id) => this.#options.nas.nas(id),
          by: options.by,
          emit: (event) => {
            if (event.kind === 'log') write(event.level, event.message);
            this.#options.onEvent?.(task.id, event);
          },
        },
        { ...options, signal: controller.signal },
      );
      let report = await runEngine();
      if (!options.dryRun && (await this.#autoCreateSnapshotTasks(task, report, write))) report = await runEngine();
      const record: RunHistoryInput = {
        id: randomUUID(),
        taskId: task.id,
        startedAt: report.startedAt,
        finishedAt: report.finishedAt,
        result: report.result,
        by: options.by,
        bytesSent: report.bytesSent,
        snapshotsSent: report.snapshotsSent,
        datasets: report.datasets.map((d) => ({ source: d.source, destination: d.destination, status: d.plan.status, bytesSent: d.bytesSent, snapshotsSent: d.snapshotsSent })),
        error: report.error ? { code: report.error.code, message: report.error.message, ...(report.error.hint ? { hint: report.error.hint } : {}) } : null,
      };
      if (!options.dryRun) store.history.append(record);
      write(report.result === 'FINISHED' || report.result === 'DRY_RUN' ? 'info' : 'error', `Result: ${report.result}.`);
      return report;
    } finally {
      this.#running.delete(task.id);
      await flush();
    }
  }

  /**
   * A naming-schema task whose sources have no matching snapshot gets a periodic snapshot task per source (as
   * TrueNAS does), which takes the first snapshot right away. Returns true when it created any.
   */
  async #autoCreateSnapshotTasks(task: ReplicationTask, report: RunReport, write: (level: string, message: string) => void): Promise<boolean> {
    if (task.selection.kind !== 'naming-schema' || report.result !== 'FINISHED') return false;
    if (report.datasets.length === 0 || !report.datasets.every((d) => d.plan.status === 'nothing-to-send')) return false;
    const { store } = this.#options;
    const existing = store.listSnapshotTasks();
    let created = false;
    for (const source of task.sources) {
      if (existing.some((t) => t.connectionId === task.sourceConnectionId && t.dataset === source.name)) continue;
      const snapshotTask = store.saveSnapshotTask({
        connectionId: task.sourceConnectionId,
        dataset: source.name,
        recursive: source.recursive,
        exclude: source.exclude,
        namingSchema: task.selection.schemas[0]!,
        // Names on the wall clock the replication task reads them in.
        ...(task.selection.timeZone ? { timeZone: task.selection.timeZone } : {}),
        schedule: task.schedule.kind === 'cron' ? task.schedule : { kind: 'cron', expression: '0 * * * *' },
        lifetime: { kind: 'custom', amount: 2, unit: 'weeks' },
      });
      const { taken } = await runSnapshotTask(snapshotTask, this.#options.nas, { replicationTasks: store.listTasks() });
      write('info', `No snapshot of ${source.name} matched ${snapshotTask.namingSchema}: created a periodic snapshot task for it and took ${taken.snapshots.join(', ')}.`);
      created = true;
    }
    return created;
  }
}
