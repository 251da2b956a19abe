import { CircleAlert, TriangleAlert } from 'lucide-react';
import { useEffect } from 'react';
import { Button } from '../../components/Button.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { ErrorNotice, Notice } from '../../components/ErrorNotice.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { formatBytes, formatDateTime, formatRelative } from '../../lib/format.ts';
import type { RunRefusal } from '../../../shared/replication-reports.ts';
import { formatDuration, formatEta, formatRate } from './history-data.ts';
import { DivergenceConfirmDialog } from './MaintenanceDialogs.tsx';
import { destructionCommands, destructionItems } from './maintenance-model.ts';
import { openRun } from './open-run.ts';
import { currentStepText, datasetBadge, datasetBadgeWords, percentOf, readableDetail, runOutcome, runPercent, stalledSeconds, stateWords, summarizeReport, type DatasetBadge, type LiveRun } from './run-model.ts';
import { useTasks } from './tasks-store.ts';
import { useNow } from './use-now.ts';

// A run, live: the current step, the whole run's progress, each dataset's bytes against the estimate with its rate
// and ETA, a stall said in words (no byte for 30 s), and at the end the report — or, for a destination that
// diverged, exactly what proceeding would destroy.

const runTone: Record<LiveRun['info']['state'], Tone> = { running: 'running', finished: 'ok', failed: 'fail', refused: 'warn', cancelled: 'neutral' };
const badgeTone: Record<DatasetBadge, Tone> = {
  planned: 'pending',
  pruning: 'running',
  destroying: 'running',
  sending: 'running',
  holding: 'running',
  done: 'ok',
  skipped: 'neutral',
  failed: 'fail',
  refused: 'warn',
  'not-started': 'neutral',
  stopped: 'neutral',
  interrupted: 'fail',
};

export function ProgressBar({ percent, label }: { percent: number | null; label: string }) {
  return (
    <div
      className={percent === null ? 'progress progress-indeterminate' : 'progress'}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      {...(percent === null ? {} : { 'aria-valuenow': Math.round(percent), 'aria-valuetext': `${Math.round(percent)} %` })}
    >
      <div className="progress-fill" style={{ width: `${percent ?? 100}%` }} />
    </div>
  );
}

export function RunPanel({ taskId, runId }: { taskId: string; runId: string | null }) {
  const run = useTasks((s) => (runId ? s.runs[runId] : undefined));
  const lastRecord = useTasks((s) => s.tasks.find((t) => t.task.id === taskId)?.lastRun ?? null);
  const latestRunId = useTasks((s) => s.latestRun[taskId]);
  const latestRunning = useTasks((s) => (latestRunId ? s.runs[latestRunId]?.info.state === 'running' : false));
  const fetchRun = useTasks((s) => s.fetchRun);
  const now = useNow(1000);

  useEffect(() => {
    if (runId && !run) void fetchRun(runId);
  }, [runId, run, fetchRun]);

  if (!run) {
    return (
      <section className="panel run-panel" aria-label="Run">
        <h3>No run in this window yet</h3>
        {lastRecord ? (
          <p>
            Last run {formatRelative(lastRecord.finishedAt)} ({formatDateTime(lastRecord.finishedAt)}): <StatusBadge tone={lastRecord.result === 'FINISHED' ? 'ok' : 'fail'}>{lastRecord.result}</StatusBadge>,{' '}
            {formatBytes(lastRecord.bytesSent)} sent. Its figures and log are under History.
          </p>
        ) : (
          <p className="muted">This task has never run. Run now sends the first full copy; the plan is logged on the right as it goes.</p>
        )}
      </section>
    );
  }

  const info = run.info;
  const percent = runPercent(run);
  const stalled = stalledSeconds(run, now);
  const report = run.result?.kind === 'replication' ? run.result.report : run.result?.kind === 'repair' ? run.result.report.run : null;
  const refusal = report?.refusal ?? null;
  const totalSent = run.datasets.reduce((sum, d) => sum + d.bytesSent, 0);
  const totalEstimate = run.datasets.every((d) => d.bytesTotal !== null || d.step === 'skipped') ? run.datasets.reduce((sum, d) => sum + (d.bytesTotal ?? 0), 0) : null;

  return (
    <section className="panel run-panel" aria-label="Run" data-testid="run-panel" data-run-id={info.runId} data-state={info.state}>
      <div className="run-head">
        <h3>
          {info.kind === 'repair' ? 'Repair run' : info.dryRun ? 'Dry run' : 'Run'} started {formatRelative(info.startedAt, now)} by {info.by}
        </h3>
        <StatusBadge tone={runTone[info.state]}>{stateWords[info.state]}</StatusBadge>
      </div>
      {latestRunning && latestRunId !== info.runId ? (
        <Notice tone="info" title="A newer run of this task is in progress.">
          <Button onPress={() => openRun(taskId, latestRunId)}>Show it</Button>
        </Notice>
      ) : null}
      <p className="run-step" data-testid="run-step" aria-live="polite">
        {info.state === 'running' ? currentStepText(run) : info.state === 'finished' ? finishedText(info) : runOutcome(run)}
      </p>
      {/* A bar only for a run going or done: a run refused, failed or stopped says its outcome above instead. */}
      {info.state === 'running' || info.state === 'finished' ? (
        <>
          <ProgressBar percent={percent} label="Whole run" />
          <p className="run-figures" data-testid="run-percent">
            {percent === null ? 'Estimating…' : `${Math.floor(percent)} %`} · {formatBytes(totalSent)}
            {totalEstimate !== null && totalEstimate > 0 ? ` of about ${formatBytes(totalEstimate)}` : ''}
            {info.state === 'running' && info.progress ? ` · ${formatRate(info.progress.bytesPerSecond)}` : ''}
            {info.state === 'running' && info.progress?.etaSeconds != null ? ` · ETA ${formatEta(info.progress.etaSeconds)}` : ''}
          </p>
        </>
      ) : null}
      {stalled !== null ? (
        <div className="notice notice-warning" role="alert" data-testid="run-stalled">
          <TriangleAlert className="notice-icon" size={18} aria-hidden="true" />
          <div className="notice-body">
            <p className="notice-title">No bytes for {stalled} s: the transfer looks stalled.</p>
            <p className="notice-hint">A busy or unreachable NAS, a full pool or a network problem can stall a send. Stop keeps what arrived; the next run resumes from there.</p>
          </div>
        </div>
      ) : null}

      <ul className="run-datasets" aria-label="Datasets of this run">
        {run.datasets.map((d) => {
          const p = percentOf(d);
          const badge = datasetBadge(d, info.state);
          const moving = badge === 'sending' || badge === 'pruning' || badge === 'destroying' || badge === 'holding';
          const figures = moving || (badge === 'done' && !(d.bytesSent === 0 && d.bytesTotal === null)) || ((badge === 'stopped' || badge === 'interrupted' || badge === 'failed') && d.bytesSent > 0);
          return (
            <li key={d.dataset} className="run-dataset" data-dataset={d.dataset} data-step={d.step}>
              <div className="run-dataset-head">
                <code>{d.dataset}</code>
                {d.destination ? (
                  <>
                    <span aria-hidden="true">→</span>
                    <code>{d.destination}</code>
                  </>
                ) : null}
                <StatusBadge tone={badgeTone[badge]}>{datasetBadgeWords[badge]}</StatusBadge>
              </div>
              {d.detail ? <p className="muted run-dataset-detail">{readableDetail(d.detail)}</p> : null}
              {figures ? (
                <>
                  {moving || badge === 'done' ? <ProgressBar percent={p} label={`${d.dataset}`} /> : null}
                  <p className="run-figures muted">
                    {badge === 'stopped' || badge === 'interrupted' || badge === 'failed' ? 'Sent ' : ''}
                    {formatBytes(d.bytesSent)}
                    {d.bytesTotal !== null ? ` of ${formatBytes(d.bytesTotal)} estimated` : ''}
                    {p !== null ? ` (${Math.floor(p)} %)` : ''}
                    {badge === 'sending' ? ` · ${formatRate(d.bytesPerSecond)}` : ''}
                    {badge === 'sending' && formatEta(d.etaSeconds) ? ` · ETA ${formatEta(d.etaSeconds)}` : ''}
                  </p>
                </>
              ) : null}
            </li>
          );
        })}
      </ul>

      {info.state === 'failed' && info.error ? <ErrorNotice error={info.error} context={{ action: `Run ${info.taskName}` }} /> : null}
      {info.state === 'failed' && info.error?.resumable ? <p className="muted">What arrived is kept: the next run resumes the transfer.</p> : null}
      {info.state === 'cancelled' ? (
        <Notice tone="info" title="Stopped.">
          ZFS kept what arrived (the receive is resumable): the next run resumes the transfer instead of starting over.
        </Notice>
      ) : null}
      {refusal ? <DivergencePanel taskId={taskId} refusal={refusal} /> : null}
      {/* A stopped run's report would only repeat "cancelled" as an error; its outcome and the notice above say it. */}
      {report && report.result !== 'REFUSED' && info.state !== 'cancelled' ? <RunReportPanel report={report} errorShown={info.state === 'failed' && info.error !== null} /> : null}
    </section>
  );
}

function finishedText(info: LiveRun['info']): string {
  return info.finishedAt ? `Finished in ${formatDuration(Date.parse(info.finishedAt) - Date.parse(info.startedAt))}.` : 'Finished.';
}

/** The destination diverged: exactly what proceeding destroys, item by item, and proceed only on that confirmation. */
function DivergencePanel({ taskId, refusal }: { taskId: string; refusal: RunRefusal }) {
  const runNow = useTasks((s) => s.runNow);
  const items = destructionItems(refusal.destruction);
  return (
    <div className="divergence" data-testid="divergence">
      <div className="notice notice-error" role="alert">
        <CircleAlert className="notice-icon" size={18} aria-hidden="true" />
        <div className="notice-body">
          <p className="notice-title">The destination diverged from the source: nothing was changed.</p>
          <p className="notice-hint">
            Replicating means destroying exactly what is listed below on {refusal.destruction.host}. If any of it matters, keep it (rename or move it) and run again, or
            choose another destination.
          </p>
        </div>
      </div>
      <ul className="divergence-reasons">
        {refusal.divergence.map((d) => (
          <li key={d.dataset}>
            <code>{d.dataset}</code>: {d.divergence.map(divergenceWords).join('; ')}
          </li>
        ))}
      </ul>
      <h4>Would be destroyed ({items.length})</h4>
      <ul className="destroy-list" data-testid="would-destroy">
        {items.map((item) => (
          <li key={item.label}>
            <code>{item.label}</code> <span className="muted">— {item.detail}</span>
          </li>
        ))}
      </ul>
      <details className="commands">
        <summary>Commands</summary>
        <pre>{destructionCommands(refusal.destruction).join('\n')}</pre>
        <CopyButton text={destructionCommands(refusal.destruction).join('\n')} label="Copy commands" />
      </details>
      <div className="panel-actions">
        <Button
          variant="danger"
          onPress={() =>
            openDialog((close) => (
              <DivergenceConfirmDialog
                refusal={refusal}
                onClose={close}
                onConfirm={async () => {
                  const id = await runNow(taskId, refusal.confirmation);
                  if (id) openRun(taskId, id);
                  return id !== null;
                }}
              />
            ))
          }
        >
          Destroy exactly these and replicate…
        </Button>
      </div>
    </div>
  );
}

function divergenceWords(d: RunRefusal['divergence'][number]['divergence'][number]): string {
  switch (d.reason) {
    case 'newer-snapshots':
      return `snapshots newer than the common @${d.base}: ${d.snapshots.join(', ')}`;
    case 'written-since-base':
      return `${formatBytes(d.bytes)} written since @${d.base}`;
    case 'no-common-snapshot':
      return `snapshots but none in common with the source (${d.snapshots.length})`;
    case 'data-without-snapshots':
      return `${formatBytes(d.usedBytes)} of data without snapshots`;
  }
}

function RunReportPanel({ report, errorShown }: { report: NonNullable<Extract<LiveRun['result'], { kind: 'replication' }>>['report']; errorShown: boolean }) {
  const summary = summarizeReport(report);
  return (
    <div className="run-report" data-testid="run-report">
      <h4>
        Report: {formatBytes(summary.bytesSent)} in {summary.snapshotsSent} snapshot{summary.snapshotsSent === 1 ? '' : 's'}
        {report.result === 'FAILED' ? ' before the run failed' : ''}
      </h4>
      <dl className="facts">
        <div>
          <dt>{report.result === 'FAILED' ? 'Planned, and what was sent' : 'Sent'}</dt>
          <dd>
            <ul>
              {summary.sent.map((s) => (
                <li key={s.dataset}>
                  <code>{s.dataset}</code> → <code>{s.destination}</code>: {s.what} ({formatBytes(s.bytes)}, {s.snapshots} snapshot{s.snapshots === 1 ? '' : 's'})
                </li>
              ))}
            </ul>
          </dd>
        </div>
        <div>
          <dt>Pruned</dt>
          <dd>
            {summary.pruned.length === 0 ? (
              'nothing'
            ) : (
              <ul>
                {summary.pruned.map((p) => (
                  <li key={p.dataset}>
                    <code>{p.dataset}</code>: {p.snapshots.join(', ')}
                  </li>
                ))}
              </ul>
            )}
          </dd>
        </div>
        <div>
          <dt>Held</dt>
          <dd>{summary.held.length === 0 ? 'nothing' : summary.held.map((h) => <code key={h}>{h}</code>)}</dd>
        </div>
      </dl>
      {report.error && !errorShown ? <ErrorNotice error={report.error} /> : null}
    </div>
  );
}
