import type { EventPayload, RunInfo } from '../../../shared/contract.ts';
import { formatBytes } from '../../../shared/format-bytes.ts';
import type { RunReport } from '../../../shared/replication-reports.ts';

// A run as the live view draws it, built from the run's events (runStarted, runStep, runProgress, runLog,
// runFinished) by pure functions: the store applies them, the tests replay them.

type RunResult = EventPayload<'runFinished'>['result'];

export interface DatasetProgress {
  dataset: string;
  destination: string | null;
  step: RunInfo['datasets'][number]['step'];
  detail: string | null;
  bytesSent: number;
  /** The estimate (zfs send -nP); null until it is known. */
  bytesTotal: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface LogLine {
  at: string;
  level: string;
  message: string;
}

export interface LiveRun {
  info: RunInfo;
  datasets: DatasetProgress[];
  /** When the byte count last grew (ms since epoch), or when the run started; for stall detection. */
  lastBytesAt: number;
  log: LogLine[];
  result: RunResult | null;
}

/** Log lines kept per run in memory (the file has them all). */
export const maxRunLogLines = 2000;

function datasetsFrom(info: RunInfo, previous: readonly DatasetProgress[] = []): DatasetProgress[] {
  return info.datasets.map((d) => {
    const old = previous.find((p) => p.dataset === d.dataset);
    const progress = info.progress && info.progress.dataset === d.dataset ? info.progress : null;
    return {
      dataset: d.dataset,
      destination: d.destination,
      step: d.step,
      detail: d.detail,
      bytesSent: progress?.bytesSent ?? old?.bytesSent ?? 0,
      bytesTotal: progress?.bytesTotal ?? old?.bytesTotal ?? null,
      bytesPerSecond: progress?.bytesPerSecond ?? old?.bytesPerSecond ?? 0,
      etaSeconds: progress?.etaSeconds ?? old?.etaSeconds ?? null,
    };
  });
}

/** A run first seen (runStarted, or the state subscribeRuns answered with). */
export function liveRunOf(info: RunInfo, now: number, previous?: LiveRun): LiveRun {
  return {
    info,
    datasets: datasetsFrom(info, previous?.datasets),
    lastBytesAt: previous?.lastBytesAt ?? now,
    log: previous?.log ?? [],
    result: previous?.result ?? null,
  };
}

export function applyStep(run: LiveRun, step: EventPayload<'runStep'>): LiveRun {
  const known = run.datasets.some((d) => d.dataset === step.dataset);
  const datasets = known
    ? run.datasets.map((d) => (d.dataset === step.dataset ? { ...d, step: step.step, detail: step.detail ?? d.detail, destination: step.destination ?? d.destination } : d))
    : [...run.datasets, { dataset: step.dataset, destination: step.destination, step: step.step, detail: step.detail, bytesSent: 0, bytesTotal: null, bytesPerSecond: 0, etaSeconds: null }];
  const infoDatasets = datasets.map(({ dataset, destination, step: s, detail }) => ({ dataset, destination, step: s, detail }));
  return { ...run, datasets, info: { ...run.info, datasets: infoDatasets } };
}

export function applyProgress(run: LiveRun, progress: EventPayload<'runProgress'>, now: number): LiveRun {
  let grew = false;
  const update = (d: DatasetProgress): DatasetProgress => {
    if (progress.bytesSent > d.bytesSent) grew = true;
    return { ...d, bytesSent: progress.bytesSent, bytesTotal: progress.bytesTotal, bytesPerSecond: progress.bytesPerSecond, etaSeconds: progress.etaSeconds };
  };
  const known = run.datasets.some((d) => d.dataset === progress.dataset);
  const datasets = known
    ? run.datasets.map((d) => (d.dataset === progress.dataset ? update(d) : d))
    : [...run.datasets, update({ dataset: progress.dataset, destination: null, step: 'sending', detail: null, bytesSent: 0, bytesTotal: null, bytesPerSecond: 0, etaSeconds: null })];
  const { runId: _runId, taskId: _taskId, ...current } = progress;
  return { ...run, datasets, lastBytesAt: grew ? now : run.lastBytesAt, info: { ...run.info, progress: current } };
}

export function applyLog(run: LiveRun, line: EventPayload<'runLog'>): LiveRun {
  const log = run.log.length >= maxRunLogLines ? run.log.slice(run.log.length - maxRunLogLines + 1) : run.log;
  return { ...run, log: [...log, { at: line.at, level: line.level, message: line.message }] };
}

export function applyFinished(run: LiveRun | undefined, finished: EventPayload<'runFinished'>, now: number): LiveRun {
  const base = run ?? liveRunOf(finished.run, now);
  const report = finished.result?.kind === 'replication' ? finished.result.report : finished.result?.kind === 'repair' ? finished.result.report.run : null;
  // The report has each dataset's final figures: a dataset that finished between two progress events shows its total.
  const datasets = datasetsFrom(finished.run, base.datasets).map((d) => {
    const sent = report?.datasets.find((r) => r.source === d.dataset);
    return sent ? { ...d, bytesSent: Math.max(d.bytesSent, sent.bytesSent), bytesTotal: d.bytesTotal ?? sent.estimatedBytes } : d;
  });
  return { ...base, info: finished.run, datasets, result: finished.result };
}

/** Percent of the estimate sent (0-100), null when there is no estimate; a dataset that is done is 100. */
export function percentOf(d: Pick<DatasetProgress, 'step' | 'bytesSent' | 'bytesTotal'>): number | null {
  if (d.step === 'done' || d.step === 'holding') return 100;
  if (d.step === 'skipped') return null;
  if (d.bytesTotal === null || d.bytesTotal <= 0) return null;
  return Math.min(100, Math.max(0, (d.bytesSent / d.bytesTotal) * 100));
}

/** Percent of the whole run: the sum of what was sent over the sum of the estimates known. */
export function runPercent(run: Pick<LiveRun, 'datasets' | 'info'>): number | null {
  if (run.info.state === 'finished') return 100;
  const counted = run.datasets.filter((d) => d.step !== 'skipped');
  if (counted.length === 0) return null;
  const parts = counted.map((d) => percentOf(d));
  if (parts.some((p) => p === null)) {
    const known = parts.filter((p): p is number => p !== null);
    return known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / counted.length;
  }
  return (parts as number[]).reduce((a, b) => a + b, 0) / counted.length;
}

/**
 * An ended run that did not finish, in one sentence: what it left behind. Shown instead of a progress bar — a bar that
 * says "Estimating… 0 B" under a refused run reads as if something were still coming. Null while the run is going or
 * when it finished (its bar is full and its report says the rest).
 */
export function runOutcome(run: Pick<LiveRun, 'datasets' | 'info'>): string | null {
  const sent = run.datasets.reduce((sum, d) => sum + d.bytesSent, 0);
  const estimates = run.datasets.filter((d) => d.step !== 'skipped').map((d) => d.bytesTotal);
  const estimate = estimates.length > 0 && estimates.every((b) => b !== null && b > 0) ? (estimates as number[]).reduce((a, b) => a + b, 0) : null;
  const howFar = estimate === null ? formatBytes(sent) : `${formatBytes(sent)} of about ${formatBytes(estimate)} (${Math.floor(Math.min(100, (sent / estimate) * 100))} %)`;
  switch (run.info.state) {
    case 'running':
    case 'finished':
      return null;
    case 'refused':
      return 'Nothing was sent or destroyed.';
    case 'failed':
      return sent === 0 ? 'The run failed before any byte was sent.' : `The run failed after sending ${howFar}.`;
    case 'cancelled':
      return sent === 0 ? 'Stopped before any byte was sent.' : `Stopped after sending ${howFar}.`;
  }
}

/** A dataset's step as the badge shows it: a run that ended leaves no dataset "Planned" or "Sending". */
export type DatasetBadge = DatasetProgress['step'] | 'refused' | 'not-started' | 'stopped' | 'interrupted';

export function datasetBadge(d: Pick<DatasetProgress, 'step'>, state: RunInfo['state']): DatasetBadge {
  if (state === 'running' || d.step === 'done' || d.step === 'skipped') return d.step;
  if (state === 'refused') return d.step === 'planned' ? 'refused' : 'not-started';
  if (d.step === 'planned') return 'not-started';
  // Stop ends the dataset's step as failed: it was the admin's choice, and what arrived is kept.
  if (state === 'cancelled') return 'stopped';
  return d.step === 'failed' ? 'failed' : 'interrupted';
}

export const datasetBadgeWords: Record<DatasetBadge, string> = {
  planned: 'Planned',
  pruning: 'Pruning',
  destroying: 'Destroying',
  sending: 'Sending',
  holding: 'Holding',
  done: 'Done',
  skipped: 'Skipped',
  failed: 'Failed',
  refused: 'Refused',
  'not-started': 'Not started',
  stopped: 'Stopped',
  interrupted: 'Interrupted',
};

const divergenceReasonWords: Record<string, string> = {
  'newer-snapshots': 'snapshots newer than the common one',
  'written-since-base': 'writes since the common snapshot',
  'no-common-snapshot': 'no snapshot in common with the source',
  'data-without-snapshots': 'data without snapshots',
};

/** The engine's step details in an admin's words: "812345678 bytes" in units, "refused: newer-snapshots" spelled out. */
export function readableDetail(detail: string): string {
  const refused = /^refused: ([a-z-]+(?:, [a-z-]+)*)$/.exec(detail);
  if (refused) return `the destination diverged: ${refused[1]!.split(', ').map((r) => divergenceReasonWords[r] ?? r).join('; ')}`;
  return detail.replace(/\b(\d+) bytes\b/g, (_, n: string) => formatBytes(Number(n)));
}

/** Seconds without a new byte after which a sending run says it is stalled. */
export const stallAfterSeconds = 30;

/**
 * Seconds the run has been sending nothing, when that is longer than `after`; null while bytes flow (or the run is
 * not in a sending step: planning, pruning and holding send no bytes by design).
 */
export function stalledSeconds(run: Pick<LiveRun, 'info' | 'datasets' | 'lastBytesAt'>, now: number, after = stallAfterSeconds): number | null {
  if (run.info.state !== 'running') return null;
  if (!run.datasets.some((d) => d.step === 'sending')) return null;
  const idle = Math.floor((now - run.lastBytesAt) / 1000);
  return idle >= after ? idle : null;
}

/** The step in words: "Sending tank/docs: incremental @a -> @b". */
export function currentStepText(run: Pick<LiveRun, 'datasets' | 'info'>): string {
  if (run.info.state !== 'running') return stateWords[run.info.state];
  const active = run.datasets.find((d) => d.step === 'sending' || d.step === 'pruning' || d.step === 'destroying' || d.step === 'holding');
  if (active) return `${stepWords[active.step]} ${active.dataset}${active.detail ? `: ${active.detail}` : ''}`;
  if (run.datasets.length === 0) return 'Connecting and listing both sides…';
  if (run.datasets.every((d) => d.step === 'planned')) return 'Planned; starting…';
  return 'Working…';
}

export const stepWords: Record<DatasetProgress['step'], string> = {
  planned: 'Planned',
  pruning: 'Pruning',
  destroying: 'Destroying (confirmed)',
  sending: 'Sending',
  holding: 'Holding the new common snapshot of',
  done: 'Done',
  skipped: 'Skipped',
  failed: 'Failed',
};

export const stateWords: Record<RunInfo['state'], string> = {
  running: 'Running',
  finished: 'Finished',
  failed: 'Failed',
  refused: 'Refused: the destination diverged',
  cancelled: 'Stopped: the next run resumes the transfer',
};

/** What a finished replication run did, for the report panel. */
export interface ReportSummary {
  sent: { dataset: string; destination: string; what: string; bytes: number; snapshots: number }[];
  pruned: { dataset: string; snapshots: string[] }[];
  /** The snapshot each destination holds for the next incremental (the `holding` step's detail). */
  held: string[];
  bytesSent: number;
  snapshotsSent: number;
}

export function summarizeReport(report: RunReport): ReportSummary {
  const sent = report.datasets.map((d) => ({
    dataset: d.source,
    destination: d.destination,
    what: planWords(d.plan),
    bytes: d.bytesSent,
    snapshots: d.snapshotsSent,
  }));
  const pruned = report.datasets.filter((d) => d.prune.length > 0).map((d) => ({ dataset: d.destination, snapshots: d.prune }));
  const held = report.datasets.flatMap((d) => {
    // A run that failed or was stopped holds the new snapshot only where it arrived.
    if (d.plan.status === 'ready') return report.result !== 'FAILED' || d.snapshotsSent > 0 ? [`${d.destination}@${d.plan.newest}`] : [];
    if (d.plan.status === 'up-to-date') return [`${d.destination}@${d.plan.base}`];
    return [];
  });
  return { sent, pruned, held, bytesSent: report.bytesSent, snapshotsSent: report.snapshotsSent };
}

export function planWords(plan: RunReport['datasets'][number]['plan']): string {
  switch (plan.status) {
    case 'nothing-to-send':
      return `nothing to send (${plan.reason})`;
    case 'up-to-date':
      return `up to date at @${plan.base}`;
    case 'refused':
      return 'refused: the destination diverged';
    case 'ready': {
      const first = plan.steps[0];
      if (!first) return 'nothing to send';
      if (first.kind === 'full') return `full send of @${first.snapshot}${plan.newest !== first.snapshot ? ` then incrementals to @${plan.newest}` : ''}`;
      if (first.kind === 'resume') return `resumed the interrupted transfer, up to @${plan.newest}`;
      return `incremental @${plan.base ?? first.from} -> @${plan.newest}`;
    }
  }
}
