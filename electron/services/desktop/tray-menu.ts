import { formatBytes } from '../../../shared/format-bytes.ts';

// The tray: what runs now (with progress), "Run all now", "Pause schedules", "Open", "Quit", as plain data that
// Electron main turns into a Menu (electron/main/desktop.ts) and the unit tests read. RunActivity keeps the running
// runs from the core's events.

export interface RunningRun {
  taskId: string;
  taskName: string;
  dataset: string | null;
  bytesSent: number;
  bytesTotal: number | null;
  bytesPerSecond: number;
}

export type TrayAction = { kind: 'open' } | { kind: 'open-task-log'; taskId: string } | { kind: 'run-all' } | { kind: 'toggle-pause' } | { kind: 'quit' };

export type TrayItem =
  | { type: 'item'; label: string; enabled: boolean; action: TrayAction | null; checked?: boolean }
  | { type: 'separator' };

export interface TrayState {
  running: readonly RunningRun[];
  paused: boolean;
  /** Tasks that a "Run all now" would start (replication tasks not running now). */
  runnable: number;
}

/** "docs: 1.2 GiB of 4.0 GiB (30%) at 12 MiB/s" */
export function describeRun(run: RunningRun): string {
  if (run.bytesSent === 0 && run.dataset === null) return `${run.taskName}: starting…`;
  const percent = run.bytesTotal ? ` (${Math.min(100, Math.floor((run.bytesSent / run.bytesTotal) * 100))}%)` : '';
  const of = run.bytesTotal ? ` of ${formatBytes(run.bytesTotal)}` : '';
  const rate = run.bytesPerSecond > 0 ? ` at ${formatBytes(run.bytesPerSecond)}/s` : '';
  return `${run.taskName}: ${formatBytes(run.bytesSent)}${of}${percent}${rate}`;
}

export function trayMenuModel(state: TrayState): TrayItem[] {
  const items: TrayItem[] = [];
  if (state.running.length === 0) items.push({ type: 'item', label: 'No replication running', enabled: false, action: null });
  else for (const run of state.running) items.push({ type: 'item', label: describeRun(run), enabled: true, action: { kind: 'open-task-log', taskId: run.taskId } });
  items.push({ type: 'separator' });
  items.push({ type: 'item', label: 'Run all now', enabled: state.runnable > 0, action: { kind: 'run-all' } });
  items.push({ type: 'item', label: 'Pause schedules', enabled: true, action: { kind: 'toggle-pause' }, checked: state.paused });
  items.push({ type: 'separator' });
  items.push({ type: 'item', label: 'Open', enabled: true, action: { kind: 'open' } });
  items.push({ type: 'item', label: 'Quit', enabled: true, action: { kind: 'quit' } });
  return items;
}

/** The tray icon's tooltip: one line. */
export function trayTooltip(state: TrayState): string {
  const base = 'ZFS Replication Desktop';
  if (state.running.length === 1) return `${base}: ${describeRun(state.running[0]!)}`;
  if (state.running.length > 1) return `${base}: ${state.running.length} replications running`;
  return state.paused ? `${base}: schedules paused` : base;
}

/**
 * The runs in progress in this process, from the core's events: a task's run starts (status RUNNING), reports
 * progress, and ends (FINISHED / FAILED). `changed` fires at most once per `throttleMs` for progress.
 */
export class RunActivity {
  readonly #runs = new Map<string, RunningRun>();
  readonly #changed: () => void;
  readonly #taskName: (taskId: string) => string;

  constructor(options: { taskName(taskId: string): string; changed(): void }) {
    this.#taskName = options.taskName;
    this.#changed = options.changed;
  }

  running(): RunningRun[] {
    return [...this.#runs.values()];
  }

  started(taskId: string): void {
    if (this.#runs.has(taskId)) return;
    this.#runs.set(taskId, { taskId, taskName: this.#safeName(taskId), dataset: null, bytesSent: 0, bytesTotal: null, bytesPerSecond: 0 });
    this.#changed();
  }

  progress(taskId: string, progress: { dataset: string; bytesSent: number; bytesTotal: number | null; bytesPerSecond: number }): void {
    const run = this.#runs.get(taskId) ?? { taskId, taskName: this.#safeName(taskId), dataset: null, bytesSent: 0, bytesTotal: null, bytesPerSecond: 0 };
    this.#runs.set(taskId, { ...run, ...progress });
    this.#changed();
  }

  ended(taskId: string): void {
    if (this.#runs.delete(taskId)) this.#changed();
  }

  #safeName(taskId: string): string {
    try {
      return this.#taskName(taskId);
    } catch {
      return 'a task';
    }
  }

  /** Feeds the core's bus events in. */
  onEvent(name: string, payload: unknown): void {
    const event = payload as { taskId?: string; state?: string; dataset?: string; bytesSent?: number; bytesTotal?: number | null; bytesPerSecond?: number; run?: { taskId: string; kind?: string; dryRun?: boolean } };
    if (name === 'status' && event.taskId) {
      if (event.state === 'RUNNING') this.started(event.taskId);
      else this.ended(event.taskId);
    } else if ((name === 'progress' || name === 'runProgress') && event.taskId && event.dataset !== undefined) {
      this.progress(event.taskId, { dataset: event.dataset, bytesSent: event.bytesSent ?? 0, bytesTotal: event.bytesTotal ?? null, bytesPerSecond: event.bytesPerSecond ?? 0 });
    } else if (name === 'runStarted' && event.run && !event.run.dryRun) {
      this.started(event.run.taskId);
    } else if (name === 'runFinished' && event.run) {
      this.ended(event.run.taskId);
    }
  }
}
