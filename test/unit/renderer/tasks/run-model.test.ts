import { describe, expect, it } from 'vitest';
import type { RunInfo } from '../../../../shared/contract.ts';
import type { RunReport } from '../../../../shared/replication-reports.ts';
import { applyFinished, applyLog, applyProgress, applyStep, currentStepText, datasetBadge, liveRunOf, percentOf, readableDetail, runOutcome, runPercent, stalledSeconds, summarizeReport } from '../../../../renderer/features/tasks/run-model.ts';

const runId = '00000000-0000-4000-8000-000000000002';
const info: RunInfo = { runId, kind: 'replication', taskId: 't', taskName: 'Docs', by: 'app', dryRun: false, startedAt: '2026-12-01T10:00:00.000Z', finishedAt: null, state: 'running', datasets: [], progress: null, error: null };
const ev = { runId, taskId: 't' };

describe('a live run from its events', () => {
  it('follows steps and progress per dataset, with percent of the estimate', () => {
    let run = liveRunOf(info, 0);
    expect(currentStepText(run)).toBe('Connecting and listing both sides…');
    run = applyStep(run, { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'planned', detail: 'full @s1' });
    run = applyStep(run, { ...ev, dataset: 'tank/b', destination: 'backup/b', step: 'planned', detail: 'up to date' });
    run = applyStep(run, { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'sending', detail: 'full @s1' });
    run = applyProgress(run, { ...ev, dataset: 'tank/a', bytesSent: 25, bytesTotal: 100, bytesPerSecond: 5, etaSeconds: 15 }, 1000);
    expect(run.datasets[0]).toMatchObject({ step: 'sending', bytesSent: 25, bytesTotal: 100, etaSeconds: 15 });
    expect(percentOf(run.datasets[0]!)).toBe(25);
    expect(currentStepText(run)).toBe('Sending tank/a: full @s1');
    run = applyStep(run, { ...ev, dataset: 'tank/b', destination: 'backup/b', step: 'skipped', detail: 'up to date' });
    expect(runPercent(run)).toBe(25);
    run = applyStep(run, { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'done', detail: '1 snapshot(s), 100 bytes' });
    expect(percentOf(run.datasets[0]!)).toBe(100);
    expect(run.info.datasets.map((d) => d.step)).toEqual(['done', 'skipped']);
  });

  it('detects a stall: no new byte for 30 s while sending', () => {
    let run = applyStep(liveRunOf(info, 0), { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'sending', detail: null });
    run = applyProgress(run, { ...ev, dataset: 'tank/a', bytesSent: 10, bytesTotal: 100, bytesPerSecond: 1, etaSeconds: 90 }, 5_000);
    expect(stalledSeconds(run, 20_000)).toBeNull();
    // The same count again is not progress.
    run = applyProgress(run, { ...ev, dataset: 'tank/a', bytesSent: 10, bytesTotal: 100, bytesPerSecond: 0, etaSeconds: null }, 30_000);
    expect(stalledSeconds(run, 36_000)).toBe(31);
    run = applyProgress(run, { ...ev, dataset: 'tank/a', bytesSent: 11, bytesTotal: 100, bytesPerSecond: 0, etaSeconds: null }, 37_000);
    expect(stalledSeconds(run, 40_000)).toBeNull();
    // Not sending (holding, pruning): no bytes is expected.
    run = applyStep(run, { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'holding', detail: '@s1' });
    expect(stalledSeconds(run, 400_000)).toBeNull();
  });

  it('keeps the log lines and ends with the report figures', () => {
    let run = applyLog(liveRunOf(info, 0), { ...ev, at: '2026-12-01T10:00:01.000Z', level: 'info', message: 'hello' });
    expect(run.log).toEqual([{ at: '2026-12-01T10:00:01.000Z', level: 'info', message: 'hello' }]);
    run = applyStep(run, { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'sending', detail: null });
    const report: RunReport = {
      taskId: 't', startedAt: info.startedAt, finishedAt: '2026-12-01T10:01:00.000Z', result: 'FINISHED', bytesSent: 4096, snapshotsSent: 2, refusal: null, error: null,
      datasets: [{ source: 'tank/a', destination: 'backup/a', plan: { status: 'ready', base: 's1', destructive: null, steps: [{ kind: 'incremental', from: 's1', to: 's3', intermediates: true }], newest: 's3' }, prune: ['old-1'], destruction: [], abortedResume: null, estimatedBytes: 5000, bytesSent: 4096, snapshotsSent: 2, commands: [] }],
    };
    const done = { ...info, state: 'finished' as const, finishedAt: report.finishedAt, datasets: [{ dataset: 'tank/a', destination: 'backup/a', step: 'done' as const, detail: null }] };
    run = applyFinished(run, { run: done, result: { kind: 'replication', report } }, 60_000);
    expect(run.datasets[0]).toMatchObject({ bytesSent: 4096, bytesTotal: 5000, step: 'done' });
    expect(runPercent(run)).toBe(100);
    expect(currentStepText(run)).toBe('Finished');
    expect(summarizeReport(report)).toEqual({
      sent: [{ dataset: 'tank/a', destination: 'backup/a', what: 'incremental @s1 -> @s3', bytes: 4096, snapshots: 2 }],
      pruned: [{ dataset: 'backup/a', snapshots: ['old-1'] }],
      held: ['backup/a@s3'],
      bytesSent: 4096,
      snapshotsSent: 2,
    });
    // A run that failed (or was stopped) before the snapshot arrived holds nothing new.
    const cut: RunReport = { ...report, result: 'FAILED', snapshotsSent: 0, datasets: report.datasets.map((d) => ({ ...d, snapshotsSent: 0, prune: [] })) };
    expect(summarizeReport(cut).held).toEqual([]);
  });

  it('starts from the state subscribeRuns answered with (a window opened mid-run)', () => {
    const mid: RunInfo = { ...info, datasets: [{ dataset: 'tank/a', destination: 'backup/a', step: 'sending', detail: 'full @s1' }], progress: { dataset: 'tank/a', bytesSent: 50, bytesTotal: 200, bytesPerSecond: 10, etaSeconds: 15 } };
    const run = liveRunOf(mid, 0);
    expect(run.datasets[0]).toMatchObject({ bytesSent: 50, bytesTotal: 200 });
    expect(percentOf(run.datasets[0]!)).toBe(25);
  });

  it('a run that ended without finishing says its outcome, and no dataset stays "Planned" or "Sending"', () => {
    const refused = liveRunOf({ ...info, state: 'refused', datasets: [{ dataset: 'tank/a', destination: 'backup/a', step: 'planned', detail: 'refused: newer-snapshots' }] }, 0);
    expect(runOutcome(refused)).toBe('Nothing was sent or destroyed.');
    expect(datasetBadge(refused.datasets[0]!, 'refused')).toBe('refused');
    expect(readableDetail('refused: newer-snapshots, written-since-base')).toBe('the destination diverged: snapshots newer than the common one; writes since the common snapshot');

    let stopped = applyStep(liveRunOf(info, 0), { ...ev, dataset: 'tank/a', destination: 'backup/a', step: 'sending', detail: 'full @s1' });
    stopped = applyProgress(stopped, { ...ev, dataset: 'tank/a', bytesSent: 3 * 1_048_576, bytesTotal: 8 * 1_048_576, bytesPerSecond: 1, etaSeconds: 5 }, 1000);
    stopped = { ...stopped, info: { ...stopped.info, state: 'cancelled' } };
    expect(runOutcome(stopped)).toBe('Stopped after sending 3.0 MiB of about 8.0 MiB (37 %).');
    expect(datasetBadge(stopped.datasets[0]!, 'cancelled')).toBe('stopped');

    const failed = { ...stopped, info: { ...stopped.info, state: 'failed' as const } };
    expect(runOutcome(failed)).toBe('The run failed after sending 3.0 MiB of about 8.0 MiB (37 %).');
    expect(datasetBadge(failed.datasets[0]!, 'failed')).toBe('interrupted');
    // Stop ends the dataset's step as failed: the badge says stopped.
    expect(datasetBadge({ step: 'failed' }, 'cancelled')).toBe('stopped');
    expect(datasetBadge({ step: 'failed' }, 'failed')).toBe('failed');
    expect(datasetBadge({ step: 'planned' }, 'failed')).toBe('not-started');
    expect(runOutcome({ ...failed, datasets: [] })).toBe('The run failed before any byte was sent.');

    // Going or finished: the bar and the step say it.
    expect(runOutcome(liveRunOf(info, 0))).toBeNull();
    expect(datasetBadge({ step: 'sending' }, 'running')).toBe('sending');
    expect(readableDetail('1 snapshot(s), 2048 bytes')).toBe('1 snapshot(s), 2.0 KiB');
  });
});
