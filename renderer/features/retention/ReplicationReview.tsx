import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReplicationReview as Review } from '../../../shared/contract.ts';
import type { ReplicationPlan } from '../../../shared/replication-reports.ts';
import { decideRetention, describePolicy, diffRetention, summarizeRetention, type RetentionDecision } from '../../../shared/retention.ts';
import type { Connection } from '../../../shared/schemas.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import type { RetentionPolicy } from '../../../shared/retention.ts';
import type { AppError } from '../../../shared/result.ts';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { Picker } from '../../components/Picker.tsx';
import { formatBytes, plural } from '../../lib/format.ts';
import { openDialog } from '../../lib/dialogs.ts';
import { request } from '../../lib/request.ts';
import { useSnapshots } from '../snapshots/snapshots-store.ts';
import { draftOf, PolicyEditor, policyOf, type PolicyDraft } from './PolicyEditor.tsx';
import { Timeline } from './Timeline.tsx';

// The retention review of a replication task: for each dataset it sends, the source's and the destination's
// snapshots on one time axis, each mark with its fate and reason; what the next run sends and what it prunes on the
// destination first (the engine's own plan, `reviewReplicationTask`). Nothing here changes a NAS: the task's run
// does what this shows.

type ReviewedDataset = Review['datasets'][number];

/** A sentence whose snapshot names are kept whole on one line (a name breaks at its hyphens otherwise). */
type Words = ReadonlyArray<string | { name: string }>;

function Sentence({ words }: { words: Words }) {
  return (
    <>
      {words.map((w, i) => (typeof w === 'string' ? w : <span key={i} className="nowrap">{w.name}</span>))}
    </>
  );
}

/** What the next run does with a dataset, in one sentence. */
export function nextRunWords(d: Pick<ReviewedDataset, 'plan' | 'sends'>): Words {
  const plan: ReplicationPlan = d.plan;
  const range = (names: readonly string[]): Words => (names.length === 1 ? [{ name: names[0]! }] : [{ name: names[0]! }, ' … ', { name: names.at(-1)! }]);
  switch (plan.status) {
    case 'up-to-date':
      return ['Up to date: nothing to send (the common base is ', { name: plan.base }, ').'];
    case 'nothing-to-send':
      return [plan.reason];
    case 'refused':
      return ['Refused: the destination has diverged. The next run sends and prunes nothing until the destruction it lists is confirmed (the task dashboard shows it).'];
    case 'ready':
      if (d.sends.length === 0) return [plan.steps.some((s) => s.kind === 'resume') ? 'The next run resumes the interrupted transfer first.' : 'The next run sends nothing.'];
      return [`The next run sends ${plural(d.sends.length, 'snapshot')} `, ...(plan.base ? ['incrementally from ', { name: plan.base }] : ['in full']), ': ', ...range(d.sends), '.'];
  }
}

/** What the next run prunes on the destination first, in one sentence. */
function pruneWords(prunes: readonly string[]): Words {
  if (prunes.length === 0) return ['It prunes nothing on the destination.'];
  const shown = prunes.slice(0, 3).flatMap((name, i): Words => (i === 0 ? [{ name }] : [', ', { name }]));
  return [`Before sending, it prunes ${plural(prunes.length, 'snapshot')} on the destination: `, ...shown, prunes.length > 3 ? ` and ${prunes.length - 3} more.` : '.'];
}

/**
 * The destination's decisions under `policy` (the run's request decided again), each placed at the time the review
 * gave it (a name no schema reads keeps its creation time). Null: the task prunes nothing there whatever the policy.
 */
function destinationUnder(d: ReviewedDataset, policy: RetentionPolicy): { decisions: RetentionDecision[]; prunes: string[] } | null {
  if (!d.destination.request) return null;
  const times = new Map(d.destination.decisions.map((x) => [x.name, x.time]));
  const decisions = decideRetention({ ...d.destination.request, policy }).map((x) => (x.time !== null ? x : { ...x, time: times.get(x.name) ?? null }));
  // A refused dataset's run prunes nothing until its divergence is confirmed.
  const prunes = d.plan.status === 'refused' ? [] : decisions.filter((x) => x.fate === 'prune').map((x) => x.name);
  return { decisions, prunes };
}

export function ReplicationRetentionReview({ task, connections, taskName }: { task: ReplicationTask; connections: readonly Connection[]; taskName(id: string): string }) {
  const [review, setReview] = useState<Review | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [loading, setLoading] = useState(false);
  const [datasetName, setDatasetName] = useState<string | null>(null);
  // The destination policy, editable inline with the effect live; saved to the task (its next run prunes by it).
  const [draft, setDraft] = useState<PolicyDraft>(() => draftOf(task.destinationLifetime));
  const parsed = useMemo(() => policyOf(draft), [draft]);
  const policy = 'policy' in parsed ? parsed.policy : null;
  const changed = policy !== null && JSON.stringify(policy) !== JSON.stringify(task.destinationLifetime);

  const load = useCallback(async () => {
    setLoading(true);
    const result = await request('reviewReplicationTask', { taskId: task.id }, { quiet: true });
    setLoading(false);
    if (!result.ok) return setError(result.error);
    setError(null);
    setReview(result.value);
  }, [task.id]);
  useEffect(() => {
    setReview(null);
    void load();
  }, [load]);

  const nas = (id: string) => connections.find((c) => c.id === id)?.name ?? 'a NAS no longer saved';
  const sourceNas = nas(task.sourceConnectionId);
  const destinationNas = nas(task.destinationConnectionId);
  const dataset = review?.datasets.find((d) => d.source.dataset === datasetName) ?? review?.datasets[0] ?? null;
  const edited = useMemo(() => (dataset && policy && changed ? destinationUnder(dataset, policy) : null), [dataset, policy, changed]);
  const destinationDecisions = edited?.decisions ?? dataset?.destination.decisions ?? [];
  const prunes = edited?.prunes ?? dataset?.prunes ?? [];
  const diff = edited && dataset ? diffRetention(dataset.destination.decisions, edited.decisions) : null;
  // Both sides on one time axis: the source above, the destination below.
  const series = useMemo(
    () =>
      dataset
        ? [
            { label: `Source, ${sourceNas}: ${dataset.source.dataset}`, decisions: dataset.source.decisions },
            { label: `Destination, ${destinationNas}: ${dataset.destination.dataset}`, decisions: destinationDecisions },
          ]
        : [],
    [dataset, destinationDecisions, sourceNas, destinationNas],
  );
  const zone = review?.timeZone ?? 'UTC';

  // Saving changes what the task's next run destroys: the confirmation lists exactly that, on every dataset.
  const saveWithConfirmation = () => {
    if (!policy || !review) return;
    const going = review.datasets.flatMap((d) => (destinationUnder(d, policy)?.prunes ?? []).map((name) => ({ label: `${d.destination.dataset}@${name}` })));
    openDialog((close) => (
      <ConfirmDialog
        title={`Save the destination policy of ${task.name}?`}
        message={
          <p>
            From now on the task keeps its replicas by this policy: {describePolicy(policy)}. Nothing is destroyed now;{' '}
            {going.length > 0 ? 'its next run (scheduled, or Run now) prunes these on the destination before it sends.' : 'under it, the next run prunes nothing on the destination.'}
          </p>
        }
        itemsLabel="The next run prunes"
        items={going}
        keeps="Every other snapshot stays, the common base of each dataset with it. The source is not touched."
        confirmLabel="Save policy"
        tone={going.length > 0 ? 'danger' : 'default'}
        onConfirm={async () => {
          const saved = await request('saveTask', { ...task, destinationLifetime: policy }, { action: 'Save the destination policy' });
          if (!saved.ok) return false;
          await useSnapshots.getState().loadTasks();
          // Decided again by the backend under the saved policy (what the next run will do).
          void load();
          return true;
        }}
        onClose={close}
      />
    ));
  };

  return (
    <div className="replication-review" data-testid="replication-review">
      {error ? <ErrorNotice error={error} /> : null}
      {review && review.datasets.length > 1 ? (
        <div className="toolbar">
          <Picker
            label="Dataset"
            className="toolbar-picker wide-picker"
            options={review.datasets.map((d) => ({ id: d.source.dataset, label: `${d.source.dataset} → ${d.destination.dataset}` }))}
            value={dataset?.source.dataset ?? null}
            onChange={setDatasetName}
          />
        </div>
      ) : null}
      {task.selection.kind === 'naming-schema' ? (
        <PolicyEditor legend="Destination policy" replica draft={draft} onChange={setDraft} error={'error' in parsed ? parsed.error : null} />
      ) : null}
      {dataset ? (
        <>
          <section className="panel retention-summary" aria-label="Summary" data-testid="replication-review-summary">
            <p>
              <strong data-testid="next-run-sends">
                <Sentence words={nextRunWords(dataset)} />
              </strong>
            </p>
            <p data-testid="next-run-prunes">
              <Sentence words={pruneWords(prunes)} />
            </p>
            <SideLine title="Source" side={dataset.source} />
            <SideLine title="Destination" side={{ ...dataset.destination, decisions: destinationDecisions }} prunedBy={changed && policy ? `With the policy being edited: ${describePolicy(policy)}.` : null} />
            {diff ? (
              <p data-testid="replication-review-diff">
                Against the saved policy: {plural(diff.newlyPruned, 'more snapshot')} pruned, {plural(diff.newlyKept, 'more snapshot')} kept on the destination.
              </p>
            ) : null}
            {changed ? (
              <div className="panel-actions">
                <Button variant="danger" onPress={() => saveWithConfirmation()}>
                  Save policy…
                </Button>
                <Button onPress={() => setDraft(draftOf(task.destinationLifetime))}>Reset to the saved policy</Button>
              </div>
            ) : null}
          </section>
          <Timeline series={series} timeZone={zone} taskName={taskName} testId="replication-timeline" />
        </>
      ) : loading ? (
        <p className="muted">Listing both sides…</p>
      ) : review ? (
        <p className="muted">The task sends no dataset now: its source datasets have nothing it selects.</p>
      ) : null}
    </div>
  );
}

/** One side's counts and who prunes there. */
function SideLine({ title, side, prunedBy = null }: { title: string; side: ReviewedDataset['source']; prunedBy?: string | null }) {
  const summary = summarizeRetention(side.decisions);
  return (
    <p className="muted" data-testid={`review-side-${title.toLowerCase()}`}>
      <strong>{title}</strong> ({side.dataset}): {side.exists ? `${plural(summary.total, 'snapshot')}, ${summary.keep} kept, ${summary.prune} pruned${summary.reclaimBytes ? ` (at least ${formatBytes(summary.reclaimBytes)})` : ''}. ` : ''}
      {prunedBy ?? side.prunedBy}
    </p>
  );
}
