import type { RunRecord } from '../../../shared/task-schemas.ts';

// A task's run history as the chart draws it (uPlot wants columns: x values, then one array per series) and as the
// list sums it up. Pure, so the arithmetic is tested without a canvas.

export interface HistoryColumns {
  /** Run start, unix seconds (uPlot's time axis). */
  x: number[];
  /** MiB sent per run. */
  mib: number[];
  /** Duration per run, seconds. */
  seconds: number[];
  /** Result per run, for the points' tooltip and the legend. */
  results: RunRecord['result'][];
}

export function historyColumns(runs: readonly RunRecord[]): HistoryColumns {
  const sorted = [...runs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
  // uPlot needs strictly increasing x: two runs in the same second are nudged apart by a millisecond.
  const x: number[] = [];
  for (const run of sorted) {
    let t = Date.parse(run.startedAt) / 1000;
    const previous = x.at(-1);
    if (previous !== undefined && t <= previous) t = previous + 0.001;
    x.push(t);
  }
  return {
    x,
    mib: sorted.map((r) => Math.round((r.bytesSent / 1_048_576) * 100) / 100),
    seconds: sorted.map((r) => Math.round(r.durationMs / 100) / 10),
    results: sorted.map((r) => r.result),
  };
}

/**
 * A run's result as the history shows it: a run someone stopped (Stop, SIGTERM to the daemon) is recorded FAILED with
 * the code CANCELLED — what arrived is kept and the next run resumes — and reads STOPPED, not as a failure.
 */
export type ShownResult = RunRecord['result'] | 'STOPPED';

export function shownResult(run: Pick<RunRecord, 'result' | 'error'>): ShownResult {
  return run.result === 'FAILED' && run.error?.code === 'CANCELLED' ? 'STOPPED' : run.result;
}

export interface HistoryTotals {
  runs: number;
  failed: number;
  bytesSent: number;
  /** Median duration of the finished runs, ms; null when none finished. */
  medianDurationMs: number | null;
  lastSuccessAt: string | null;
}

export function historyTotals(runs: readonly RunRecord[]): HistoryTotals {
  const finished = runs.filter((r) => r.result === 'FINISHED');
  const durations = finished.map((r) => r.durationMs).sort((a, b) => a - b);
  const mid = Math.floor(durations.length / 2);
  const median = durations.length === 0 ? null : durations.length % 2 === 1 ? durations[mid]! : (durations[mid - 1]! + durations[mid]!) / 2;
  const last = finished.map((r) => r.finishedAt).sort().at(-1) ?? null;
  return {
    runs: runs.length,
    failed: runs.filter((r) => { const shown = shownResult(r); return shown === 'FAILED' || shown === 'REFUSED'; }).length,
    bytesSent: runs.reduce((sum, r) => sum + r.bytesSent, 0),
    medianDurationMs: median,
    lastSuccessAt: last,
  };
}

/** "2 min 5 s", "850 ms", "1 h 3 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/** "12.5 MiB/s" */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1024) return `${Math.round(bytesPerSecond)} B/s`;
  if (bytesPerSecond < 1_048_576) return `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`;
  return `${(bytesPerSecond / 1_048_576).toFixed(1)} MiB/s`;
}

/** "ETA 3 min 10 s" material: null when unknown. */
export function formatEta(seconds: number | null): string | null {
  if (seconds === null || !Number.isFinite(seconds)) return null;
  return formatDuration(seconds * 1000);
}

/**
 * Which runs get a label under the chart (indexes into the columns): every run when each has `labelWidth` pixels,
 * else every k-th counted back from the newest, so labels never overlap however many runs there are.
 */
export function labelledRuns(count: number, plotWidth: number, labelWidth = 72): number[] {
  if (count <= 0) return [];
  const fit = Math.max(1, Math.floor(plotWidth / labelWidth));
  const step = Math.ceil(count / fit);
  const picked: number[] = [];
  for (let i = count - 1; i >= 0; i -= step) picked.unshift(i);
  return picked;
}

export interface RunLabelFormat {
  day: (at: Date) => string;
  time: (at: Date) => string;
}

// 24-hour times, as everywhere else in the app (names, schedules, the log): "08:00", never "08:00 AM".
const localFormat: RunLabelFormat = {
  day: (at) => at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }),
  time: (at) => at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }),
};

/**
 * The labels of the labelled runs: the start time, with the day on a second line for the first label and whenever it
 * changes ("21:05\nDec 1"). The runs are evenly spaced (one slot per run), so the times are labels, not a scale.
 */
export function runTickLabels(times: readonly number[], ticks: readonly number[], format: RunLabelFormat = localFormat): string[] {
  let previousDay: string | null = null;
  return ticks.map((i) => {
    const t = times[i];
    if (t === undefined) return '';
    const at = new Date(t * 1000);
    const day = format.day(at);
    const label = day === previousDay ? format.time(at) : `${format.time(at)}\n${day}`;
    previousDay = day;
    return label;
  });
}
