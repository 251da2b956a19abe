import { RefreshCw } from 'lucide-react';
import { useEffect, useMemo } from 'react';
import { Button } from '../../components/Button.tsx';
import { DataTable, dataTableColumns } from '../../components/DataTable.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { formatBytes, formatDateTime, formatRelative } from '../../lib/format.ts';
import type { RunRecord } from '../../../shared/task-schemas.ts';
import { formatDuration, formatRate, historyColumns, historyTotals, shownResult, type ShownResult } from './history-data.ts';
import { HistoryChart } from './HistoryChart.tsx';
import { RunLogDialog } from './RunLogDialog.tsx';
import { useTasks } from './tasks-store.ts';

// A task's run history: bytes and duration per run as a chart, the totals, and every run with its result and
// error; Enter or double-click on a run opens that run's log.

const resultTone: Record<ShownResult, Tone> = { FINISHED: 'ok', FAILED: 'fail', REFUSED: 'warn', DRY_RUN: 'neutral', STOPPED: 'neutral' };
const empty: RunRecord[] = [];

const col = dataTableColumns<RunRecord>();
const columns = [
  col.accessor((r) => Date.parse(r.startedAt), {
    id: 'startedAt',
    header: 'Started',
    sortFn: 'basic',
    meta: { width: 'minmax(190px, 1.4fr)' },
    cell: (info) => <span title={formatRelative(info.row.original.startedAt)}>{formatDateTime(info.row.original.startedAt)}</span>,
  }),
  col.accessor((r) => shownResult(r), { id: 'result', header: 'Result', meta: { width: '124px' }, cell: (info) => <StatusBadge tone={resultTone[info.getValue()]}>{info.getValue()}</StatusBadge> }),
  col.accessor('by', { header: 'By', meta: { width: '130px' } }),
  col.accessor('bytesSent', { header: 'Sent', sortFn: 'basic', meta: { width: '90px', align: 'end' }, cell: (info) => formatBytes(info.getValue()) }),
  col.accessor('snapshotsSent', { header: 'Snapshots', sortFn: 'basic', meta: { width: '104px', align: 'end' } }),
  col.accessor('durationMs', { header: 'Duration', sortFn: 'basic', meta: { width: '100px', align: 'end' }, cell: (info) => formatDuration(info.getValue()) }),
  col.accessor('bytesPerSecond', { header: 'Rate', sortFn: 'basic', meta: { width: '100px', align: 'end' }, cell: (info) => formatRate(info.getValue()) }),
  col.accessor((r) => r.error?.message ?? '', {
    id: 'error',
    header: 'Error',
    meta: { width: 'minmax(200px, 2fr)' },
    cell: (info) => {
      const e = info.row.original.error;
      return e ? (
        <span className={shownResult(info.row.original) === 'STOPPED' ? 'muted' : 'history-error'} title={`${e.message}${e.hint ? `\n${e.hint}` : ''}`}>
          {e.code}: {e.message}
        </span>
      ) : (
        <span className="muted">—</span>
      );
    },
  }),
];

export function HistoryPanel({ taskId }: { taskId: string }) {
  const entry = useTasks((s) => s.history[taskId]);
  const taskName = useTasks((s) => s.tasks.find((t) => t.task.id === taskId)?.task.name ?? 'task');
  const loadHistory = useTasks((s) => s.loadHistory);
  useEffect(() => {
    void loadHistory(taskId);
  }, [taskId, loadHistory]);

  const runs = entry?.runs ?? empty;
  const data = useMemo(() => historyColumns(runs), [runs]);
  const totals = useMemo(() => historyTotals(runs), [runs]);
  const openLog = (run: RunRecord) => openDialog((close) => <RunLogDialog taskId={taskId} taskName={taskName} run={run} onClose={close} />);

  return (
    <section className="history" aria-label="Run history" data-testid="history">
      <div className="toolbar">
        <p className="muted" aria-live="polite">
          {totals.runs} run{totals.runs === 1 ? '' : 's'} · {totals.failed} failed or refused · {formatBytes(totals.bytesSent)} sent in all
          {totals.medianDurationMs !== null ? ` · median ${formatDuration(totals.medianDurationMs)}` : ''}
          {totals.lastSuccessAt ? ` · last success ${formatRelative(totals.lastSuccessAt)}` : ''}
        </p>
        <span className="toolbar-spacer" />
        <Button icon={<RefreshCw size={16} aria-hidden="true" />} isPending={entry?.loading ?? false} onPress={() => void loadHistory(taskId)}>
          Refresh
        </Button>
      </div>
      {entry?.error ? <ErrorNotice error={entry.error} /> : null}
      <div className="panel">
        <HistoryChart data={data} label={`MiB sent and duration of the last ${runs.length} runs of ${taskName}; the same figures are in the table below.`} />
      </div>
      <div className="history-table">
        <DataTable
          label={`Runs of ${taskName}`}
          data={runs}
          columns={columns}
          getRowId={(r) => r.id}
          initialSorting={[{ id: 'startedAt', desc: true }]}
          onRowAction={openLog}
          empty={entry?.loading ? 'Loading…' : 'No runs yet.'}
          testId="history-table"
        />
      </div>
      <p className="muted hint-line">Enter or double-click on a run opens its log.</p>
    </section>
  );
}
