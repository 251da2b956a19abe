import { FolderPlus, RefreshCw, TriangleAlert, X } from 'lucide-react';
import { useMemo, type ReactNode } from 'react';
import { useWatch, type UseFormReturn } from 'react-hook-form';
import { useShallow } from 'zustand/react/shallow';
import { Button } from '../../components/Button.tsx';
import { ErrorNotice, Notice } from '../../components/ErrorNotice.tsx';
import { Spinner } from '../../components/Spinner.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { formatBytes, plural } from '../../lib/format.ts';
import { useFleet } from '../fleet/fleet-store.ts';
import { reviewModel, type PlanKind, type ReviewModel } from './review-model.ts';
import { summarizeSchedule } from './schedule-presets.ts';
import { lifetimePreview } from './snapshot-preview.ts';
import { selectionInputOf } from './WhatStep.tsx';
import { destinationParentOf, toTaskDraft, type WizardForm } from './wizard-form.ts';
import { snapshotsKey, useWizard } from './wizard-store.ts';

// Step 3, "Review" (the step TrueNAS does not have): the engine's dry run of the draft — what the first run sends per
// dataset, full or incremental, with the estimate; the snapshots and periodic tasks it creates; the properties the
// replicas get — and, when the destination already holds data, exactly what "from scratch" would destroy, in red,
// with the safer choices beside it. Nothing is saved or changed until Save.

const kindWords: Record<PlanKind, { label: string; tone: Tone }> = {
  full: { label: 'Full send', tone: 'neutral' },
  incremental: { label: 'Incremental', tone: 'ok' },
  resume: { label: 'Resume', tone: 'neutral' },
  'up-to-date': { label: 'Up to date', tone: 'ok' },
  'nothing-to-send': { label: 'Nothing to send yet', tone: 'pending' },
  refused: { label: 'Destination diverged', tone: 'fail' },
};

export interface ReviewActions {
  /** Re-plan with a new child dataset under the parent (the safer choice). */
  useNewChild(): void;
  cancel(): void;
  /** "Destroy and replicate from scratch": asks for the confirmation first. */
  destroyAndReplicate(model: ReviewModel): void;
}

/** A dataset name that wraps after a "/" when it must, never inside a component (tank/wiz9jq9 + g read as two names). */
function breakAtSlashes(name: string): ReactNode[] {
  return name.split('/').flatMap((part, index) => (index === 0 ? [part] : ['/', <wbr key={index} />, part]));
}

export function ReviewStep({ form, newPeriodicTaskSources, actions }: { form: UseFormReturn<WizardForm>; newPeriodicTaskSources: readonly string[]; actions: ReviewActions }) {
  const values = useWatch({ control: form.control }) as WizardForm;
  const { plan, periodicTasks, snapshots } = useWizard(useShallow((s) => ({ plan: s.plan, periodicTasks: s.periodicTasks, snapshots: s.snapshots })));
  const planDraft = useWizard((s) => s.planDraft);
  const connections = useFleet((s) => s.connections);
  const nasName = (id: string) => connections.find((c) => c.id === id)?.name ?? 'the NAS';
  const now = useMemo(() => new Date(), []);
  const periodicWords = summarizeSchedule(values.newPeriodicTask, now).description;
  const model = useMemo(
    () => (plan.report ? reviewModel({ report: plan.report, form: values, newPeriodicTaskSources, periodicScheduleWords: periodicWords, now }) : null),
    [plan.report, values, newPeriodicTaskSources, periodicWords, now],
  );
  const schedule = summarizeSchedule(values, now);
  const first = values.sources[0];
  const lifetime = lifetimePreview(
    first ? (snapshots[snapshotsKey(values.sourceConnectionId, first.name)]?.snapshots ?? []) : [],
    selectionInputOf(values, periodicTasks),
    toTaskDraft(values, periodicTasks).destinationLifetime ?? { kind: 'same-as-source' },
    now.getTime(),
  );

  if (plan.loading || (!plan.report && !plan.error)) {
    return (
      <div className="panel wizard-planning" role="status" data-testid="wizard-step-review">
        <Spinner /> Asking {nasName(values.sourceConnectionId)} and {nasName(values.destinationConnectionId)} what the first run would do (a dry run: nothing is changed)…
      </div>
    );
  }
  if (plan.error) {
    return (
      <div className="stack" data-testid="wizard-step-review">
        <ErrorNotice error={plan.error} context={{ action: 'Plan the draft task' }} />
        <div className="panel-actions">
          <Button variant="primary" icon={<RefreshCw size={16} aria-hidden="true" />} onPress={() => void planDraft(values)}>
            Plan again
          </Button>
        </div>
      </div>
    );
  }
  if (!model) return null;

  return (
    <div className="stack wizard-step" data-testid="wizard-step-review">
      <section className="panel wizard-section" aria-labelledby="review-plan">
        <div className="wizard-section-head">
          <h2 id="review-plan">What the first run does</h2>
          <Button icon={<RefreshCw size={16} aria-hidden="true" />} onPress={() => void planDraft(values)}>
            Plan again
          </Button>
        </div>
        <p className="muted">
          {values.name}: {nasName(values.sourceConnectionId)} → {nasName(values.destinationConnectionId)}, {values.transport === 'direct' ? 'direct NAS to NAS' : 'relayed through this app'}
          {values.compression !== 'none' ? `, ${values.compression} on the wire` : ''}
          {values.bandwidthLimitKiBps ? `, at most ${values.bandwidthLimitKiBps} KiB/s` : ''}.
        </p>
        {model.error ? <ErrorNotice error={{ ...model.error, hint: model.error.hint ?? '' } as never} /> : null}
        <table className="wizard-table" data-testid="review-datasets">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Destination</th>
              <th scope="col">Plan</th>
              <th scope="col" className="align-end">
                Estimate
              </th>
            </tr>
          </thead>
          <tbody>
            {model.datasets.map((d) => (
              <tr key={d.source} data-testid={`review-dataset:${d.source}`}>
                <td>
                  <code>{breakAtSlashes(d.source)}</code>
                </td>
                <td>
                  <code>{breakAtSlashes(d.destination)}</code>
                </td>
                <td>
                  <StatusBadge tone={kindWords[d.kind].tone}>{kindWords[d.kind].label}</StatusBadge> <span className="muted">{d.summary}</span>
                  {d.prune.length > 0 ? <div className="muted">The lifetime prunes {plural(d.prune.length, 'snapshot')} on the destination first: {d.prune.join(', ')}</div> : null}
                </td>
                <td className="align-end" data-testid="review-estimate">
                  {d.estimatedBytes === null ? '—' : formatBytes(d.estimatedBytes)}
                </td>
              </tr>
            ))}
          </tbody>
          {model.totalEstimatedBytes !== null && model.datasets.length > 1 ? (
            <tfoot>
              <tr>
                <td colSpan={3}>Total</td>
                <td className="align-end">{formatBytes(model.totalEstimatedBytes)}</td>
              </tr>
            </tfoot>
          ) : null}
        </table>
      </section>

      {model.destruction ? (
        <section className="panel wizard-danger" aria-labelledby="review-destruction" data-testid="review-destruction">
          <h2 id="review-destruction">
            <TriangleAlert size={18} aria-hidden="true" /> The destination already holds data this task would destroy
          </h2>
          <p>
            {destinationParentOf(values)} on {model.destruction.host} has data that is not on the source. Replicating from scratch destroys exactly {model.destruction.items.length === 1 ? 'this 1 item' : `these ${plural(model.destruction.items.length, 'item')}`} ({formatBytes(model.destruction.totalBytes)}). Nothing is
            destroyed unless you choose it below.
          </p>
          <ul className="wizard-destroy-list" aria-label="Would be destroyed">
            {model.destruction.items.map((item) => (
              <li key={`${item.kind}:${item.guid}:${item.name}`} data-testid="review-destroy-item">
                <span className="wizard-destroy-name">
                  <code>{item.name}</code> <span className="tag">{item.kind}</span>
                </span>
                <span className="wizard-destroy-size">{item.bytes === null ? '—' : formatBytes(item.bytes)}</span>
                {item.note ? <span className="muted">{item.note}</span> : null}
              </li>
            ))}
          </ul>
          <div className="panel-actions">
            <Button variant="primary" icon={<FolderPlus size={16} aria-hidden="true" />} onPress={actions.useNewChild}>
              Replicate into a new dataset instead
            </Button>
            <Button icon={<X size={16} aria-hidden="true" />} onPress={actions.cancel}>
              Cancel the wizard
            </Button>
            <span className="toolbar-spacer" />
            <Button variant="danger" onPress={() => actions.destroyAndReplicate(model)}>
              Destroy and replicate from scratch…
            </Button>
          </div>
        </section>
      ) : null}

      <div className="wizard-columns">
        <section className="panel wizard-section" aria-labelledby="review-creates">
          <h2 id="review-creates">Created with the task</h2>
          {model.periodicTasks.length === 0 && model.snapshotsCreated.length === 0 ? <p className="muted">No periodic snapshot task and no snapshot: the task replicates what the source already has.</p> : null}
          {model.periodicTasks.length > 0 ? (
            <ul className="wizard-list" data-testid="review-periodic-tasks">
              {model.periodicTasks.map((t) => (
                <li key={t.dataset}>
                  Periodic snapshot task on <code>{t.dataset}</code>: <code>{t.namingSchema}</code>, {t.schedule.toLowerCase()}, {t.lifetime}
                </li>
              ))}
            </ul>
          ) : null}
          {model.snapshotsCreated.length > 0 ? (
            <ul className="wizard-list" data-testid="review-snapshots-created">
              {model.snapshotsCreated.map((name) => (
                <li key={name}>
                  Snapshot <code>{name}</code>: on Save and run now the new periodic task takes it (named for that minute) and the first run sends it too. Save alone takes none.
                </li>
              ))}
            </ul>
          ) : null}
          <h3>When</h3>
          <p data-testid="review-schedule">
            {schedule.description}
            {schedule.nextRuns[0] ? ` — next run ${schedule.nextRuns[0]} (${values.timeZone})` : ''}
          </p>
          <p className="muted">{lifetime}</p>
        </section>
        <section className="panel wizard-section" aria-labelledby="review-properties">
          <h2 id="review-properties">Properties on the destination</h2>
          <table className="wizard-table" data-testid="review-properties">
            <thead>
              <tr>
                <th scope="col">Property</th>
                <th scope="col">Value</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {model.properties.map((p) => (
                <tr key={p.name}>
                  <td>
                    <code>{p.name}</code>
                  </td>
                  <td>{p.value}</td>
                  <td className="muted">{p.why}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      {model.datasets.some((d) => d.kind === 'nothing-to-send') && model.snapshotsCreated.length === 0 ? (
        <Notice tone="warning" title="Nothing to send yet">
          No snapshot of the source matches the selection. Create a periodic snapshot task in the first step (or take a snapshot), or the first run sends nothing.
        </Notice>
      ) : null}
    </div>
  );
}
