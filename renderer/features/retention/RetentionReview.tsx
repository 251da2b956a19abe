import { RefreshCw, Trash2 } from 'lucide-react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { VerbResponse } from '../../../shared/contract.ts';
import { decideRetention, describeReason, diffRetention, projectRetention, summarizeRetention, type RetentionDecision } from '../../../shared/retention.ts';
import type { AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { formatInZone } from '../../../shared/time-zone.ts';
import { Button } from '../../components/Button.tsx';
import { DataTable, dataTableColumns } from '../../components/DataTable.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Picker } from '../../components/Picker.tsx';
import { formatBytes, plural } from '../../lib/format.ts';
import { bytesOrDash } from '../snapshots/bytes.ts';
import { request } from '../../lib/request.ts';
import { FateBadge } from '../snapshots/fate-badge.tsx';
import { confirmPlan, planItems } from '../snapshots/snapshot-actions.tsx';
import { useSnapshots } from '../snapshots/snapshots-store.ts';
import { draftOf, PolicyEditor, policyOf, type PolicyDraft } from './PolicyEditor.tsx';
import { ReplicationRetentionReview } from './ReplicationReview.tsx';
import { Timeline } from './Timeline.tsx';

// The retention review of a periodic snapshot task: the real snapshots of the dataset on a time axis, each with its
// fate and reason as the task's prune decides it (shared decideRetention, same request as the prune); the policy
// editable inline with the effect live; the summary, the difference against the saved policy and a projection over
// the coming months; "apply" destroys exactly what the review shows as pruned, through the guarded plan.

type Review = VerbResponse<'reviewSnapshotTask'>;
type Row = RetentionDecision & { index: number };

const col = dataTableColumns<Row>();

/** The summary's counts by reason, in words. */
const reasonWords: Record<string, string> = {
  'common-base': 'common base',
  held: 'held',
  'not-yet-replicated': 'not yet replicated',
  'not-in-schema': 'not named by the schema',
  newest: 'newest',
  rule: 'kept by a rule',
  'within-lifetime': 'within lifetime',
  forever: 'kept forever',
  'on-source': 'still on the source',
  'source-unknown': 'source unknown',
  expired: 'expired',
  'gone-from-source': 'gone from the source',
  superseded: 'superseded',
  'outside-grid': 'outside the grid',
};

export function RetentionReview({ taskId, onPickTask, connections }: { taskId: string | null; onPickTask(taskId: string): void; connections: readonly Connection[] }) {
  const tasks = useSnapshots((s) => s.snapshotTasks);
  const replicationTasks = useSnapshots((s) => s.replicationTasks);
  const loadTasks = useSnapshots((s) => s.loadTasks);
  const tasksLoaded = useSnapshots((s) => s.tasksLoaded);
  const [review, setReview] = useState<Review | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [datasetName, setDatasetName] = useState<string | null>(null);
  const [draft, setDraft] = useState<PolicyDraft | null>(null);
  const task = tasks.find((t) => t.id === taskId) ?? null;
  // A replication task's review is its own component (both sides); this one reviews periodic snapshot tasks.
  const replicationTask = replicationTasks.find((t) => t.id === taskId) ?? null;
  const isPeriodic = task !== null;

  useEffect(() => {
    if (!tasksLoaded) void loadTasks();
  }, [tasksLoaded, loadTasks]);

  const load = useCallback(async () => {
    if (!taskId || !isPeriodic) return;
    setLoading(true);
    const result = await request('reviewSnapshotTask', { taskId }, { quiet: true });
    setLoading(false);
    if (!result.ok) return setError(result.error);
    setError(null);
    setNotice(null);
    setReview(result.value);
  }, [taskId, isPeriodic]);
  useEffect(() => {
    setReview(null);
    void load();
  }, [load]);
  // The saved policy is read once per task: an edit stays until it is applied or reset.
  const savedPolicy = task?.lifetime;
  useEffect(() => {
    setDraft(savedPolicy ? draftOf(savedPolicy) : null);
  }, [taskId]);

  const dataset = review?.datasets.find((d) => d.dataset === datasetName) ?? [...(review?.datasets ?? [])].sort((a, b) => b.decisions.length - a.decisions.length)[0] ?? null;
  const zone = task?.timeZone ?? 'UTC';
  // Parsed once per draft: a new policy object on every render would re-decide 100,000 snapshots on every render.
  const parsed = useMemo(() => (draft ? policyOf(draft) : null), [draft]);
  const policy = parsed && 'policy' in parsed ? parsed.policy : null;
  const changed = Boolean(task && policy && JSON.stringify(policy) !== JSON.stringify(task.lifetime));
  const names = useMemo(() => new Map([...replicationTasks.map((t) => [t.id, t.name] as const)]), [replicationTasks]);
  const taskName = useCallback((id: string) => names.get(id) ?? id, [names]);

  // The saved policy's decisions came with the review (the backend's, the prune's own); an edit decides again here.
  const decisions = useMemo(() => (dataset && policy && changed ? decideRetention({ ...dataset.request, policy }) : (dataset?.decisions ?? [])), [dataset, policy, changed]);
  const summary = useMemo(() => summarizeRetention(decisions), [decisions]);
  const diff = useMemo(() => (changed && dataset ? diffRetention(dataset.decisions, decisions) : null), [changed, dataset, decisions]);
  const projection = useMemo(() => {
    if (!dataset || !policy || !task || task.schedule.kind !== 'cron') return null;
    const now = dataset.request.now;
    try {
      return projectRetention({ request: { ...dataset.request, policy }, schedule: { expression: task.schedule.expression, timeZone: task.schedule.timeZone ?? zone }, until: now + 183 * 86_400_000, points: 6 });
    } catch {
      return null;
    }
  }, [dataset, policy, task, zone]);
  const rows = useMemo(() => decisions.map((d, index) => ({ ...d, index })), [decisions]);
  const series = useMemo(() => (dataset ? [{ label: dataset.dataset, decisions }] : []), [dataset, decisions]);

  const columns = useMemo(
    () => [
      col.accessor('name', { header: 'Snapshot', meta: { width: 'minmax(200px, 1.5fr)' }, sortFn: 'alphanumeric' }),
      col.accessor((r) => r.time ?? 0, { id: 'time', header: 'Time', meta: { width: '150px' }, sortFn: 'basic', cell: (info) => (info.row.original.time === null ? '—' : formatInZone(info.row.original.time, zone)) }),
      col.accessor('usedBytes', { header: 'Used', meta: { width: '84px', align: 'end' }, sortFn: 'basic', cell: (info) => bytesOrDash(info.getValue()) }),
      col.accessor('fate', {
        header: 'Fate and reason',
        meta: { width: 'minmax(260px, 3fr)' },
        sortFn: 'alphanumeric',
        cell: (info) => {
          const d = info.row.original;
          const kind = d.fate === 'prune' ? 'prune' : d.reason.kind === 'held' ? 'held' : d.reason.kind === 'common-base' || d.reason.kind === 'not-yet-replicated' ? 'base' : 'keep';
          const why = describeReason(d.reason, { timeZone: zone, taskName });
          const policySays = d.reason.kind !== d.policyReason.kind && d.fate === 'keep' ? ` — the policy alone: ${describeReason(d.policyReason, { timeZone: zone, taskName })}` : '';
          return (
            <span className="fate-cell" title={why + policySays}>
              <FateBadge kind={kind} />
              <span className="fate-text">
                {why}
                {policySays}
              </span>
            </span>
          );
        },
      }),
    ],
    [zone, taskName],
  );

  const apply = async () => {
    if (!task || !policy || !dataset) return;
    if (changed) {
      const saved = await request('saveSnapshotTask', { ...task, lifetime: policy }, { action: 'Save the policy' });
      if (!saved.ok) return;
      await loadTasks();
    }
    const planned = await request('planSnapshotTaskPrune', { taskId: task.id }, { action: 'Plan the prune', connectionId: task.connectionId });
    if (!planned.ok) return;
    const { plan } = planned.value;
    setReview(planned.value.review);
    if (!plan) {
      setNotice('Nothing to prune: the policy keeps every snapshot now. The review below shows why each one stays.');
      return;
    }
    confirmPlan({
      connectionId: task.connectionId,
      plan,
      title: `Prune ${plural(planItems(plan).length, 'snapshot')}?`,
      message: `Applies the policy of ${task.namingSchema} on ${task.dataset}${changed ? ' (the policy you edited is saved to the task)' : ''}: destroys exactly the snapshots the review shows as pruned.`,
      confirmLabel: `Prune ${plural(planItems(plan).length, 'snapshot')}`,
      keeps: `Every snapshot the review shows as kept stays, with its reason.`,
      onDone: () => {
        void load();
        // The snapshot table of this NAS, if listed, no longer shows what the prune removed.
        if (useSnapshots.getState().current?.connectionId === task.connectionId) void useSnapshots.getState().reload();
      },
    });
  };

  if (tasks.length === 0 && replicationTasks.length === 0) {
    return (
      <EmptyState title="No task to review">
        <p>
          Create a periodic snapshot task (the Periodic tasks tab) or a replication task (Tasks); its retention review shows here what its policy keeps and prunes, before anything is
          destroyed.
        </p>
      </EmptyState>
    );
  }
  const taskOptions = [
    ...tasks.map((t) => ({ id: t.id, label: `${t.dataset} — ${t.namingSchema}` })),
    ...replicationTasks.map((t) => ({ id: t.id, label: `Replication: ${t.name}` })),
  ];
  return (
    <div className="retention-review" data-testid="retention-review">
      <div className="toolbar">
        <Picker label="Task" className="toolbar-picker wide-picker" options={taskOptions} value={taskId} onChange={onPickTask} placeholder="Choose a task" />
        {task && review && review.datasets.length > 1 ? (
          <Picker label="Dataset" className="toolbar-picker" options={review.datasets.map((d) => ({ id: d.dataset, label: `${d.dataset} (${d.decisions.length})` }))} value={dataset?.dataset ?? null} onChange={setDatasetName} />
        ) : null}
        <span className="toolbar-spacer" />
        {replicationTask ? null : (
          <Button icon={<RefreshCw size={16} aria-hidden="true" />} isPending={loading} isDisabled={!taskId} onPress={() => void load()}>
            Refresh
          </Button>
        )}
      </div>
      {error ? <ErrorNotice error={error} /> : null}
      {notice ? <p className="notice notice-info" role="status">{notice}</p> : null}
      {replicationTask ? (
        <ReplicationRetentionReview key={replicationTask.id} task={replicationTask} connections={connections} taskName={taskName} />
      ) : !task ? (
        <p className="muted">Choose a task to review its retention.</p>
      ) : (
        <>
          {draft ? <PolicyEditor draft={draft} onChange={setDraft} error={parsed && 'error' in parsed ? parsed.error : null} /> : null}
          {dataset ? (
            <>
              <section className="panel retention-summary" aria-label="Summary" data-testid="retention-summary">
                <p>
                  <strong data-testid="prune-count">Prunes {plural(summary.prune, 'snapshot')}</strong>
                  {summary.reclaimBytes !== null ? `, reclaims ${summary.reclaimBytesComplete ? '' : 'at least '}${formatBytes(summary.reclaimBytes)}` : ''}
                  {'; '}
                  <strong data-testid="keep-count">keeps {summary.keep}</strong>
                  {summary.oldestKept ? `, oldest kept ${formatInZone(summary.oldestKept.time, zone)}` : ''}
                  {summary.newestKept ? `, newest ${formatInZone(summary.newestKept.time, zone)}` : ''}.
                </p>
                <p className="muted">
                  {Object.entries(summary.byReason)
                    .map(([reason, n]) => `${reasonWords[reason] ?? reason}: ${n}`)
                    .join(' · ')}
                  {summary.nextPruneAt ? ` · next lifetime ends ${formatInZone(summary.nextPruneAt, zone)}` : ''}
                </p>
                {diff ? (
                  <p data-testid="retention-diff">
                    Against the saved policy: {plural(diff.newlyPruned, 'more snapshot')} pruned, {plural(diff.newlyKept, 'more snapshot')} kept
                    {diff.reclaimBytesDelta !== null ? `, ${diff.reclaimBytesDelta >= 0 ? 'frees' : 'keeps'} ${formatBytes(Math.abs(diff.reclaimBytesDelta))} ${diff.reclaimBytesDelta >= 0 ? 'more' : 'more in use'}` : ''}.
                  </p>
                ) : null}
                {projection ? (
                  <p className="muted" data-testid="retention-projection">
                    Projection under the schedule ({task.schedule.kind === 'cron' ? task.schedule.expression : 'manual'}):{' '}
                    {projection.points.map((p) => `${formatInZone(p.at, zone).slice(0, 10)}: ${p.count}${p.estimatedBytes === null ? '' : ` (~${formatBytes(p.estimatedBytes)})`}`).join(' · ')}
                  </p>
                ) : null}
                <div className="panel-actions">
                  <Button variant="danger" icon={<Trash2 size={16} aria-hidden="true" />} isDisabled={!policy || (summary.prune === 0 && !changed)} onPress={() => void apply()}>
                    {changed ? 'Save policy and apply…' : 'Apply (prune now)…'}
                  </Button>
                  {changed && task ? <Button onPress={() => setDraft(draftOf(task.lifetime))}>Reset to the saved policy</Button> : null}
                </div>
              </section>
              <Timeline series={series} timeZone={zone} taskName={taskName} testId="retention-timeline" />
              <div className="retention-table">
                <DataTable label={`Snapshots of ${dataset.dataset} and their fate`} data={rows} columns={columns} getRowId={(r) => r.name} initialSorting={[{ id: 'time', desc: true }]} testId="retention-table" />
              </div>
            </>
          ) : loading ? (
            <p className="muted">Reading the snapshots…</p>
          ) : null}
        </>
      )}
    </div>
  );
}
