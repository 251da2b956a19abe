import { useState } from 'react';
import { Input, Label, TextField } from 'react-aria-components';
import type { DestructionPlan } from '../../../shared/replication-reports.ts';
import type { AppError } from '../../../shared/result.ts';
import { Button } from '../../components/Button.tsx';
import { ConfirmDialog, type ConfirmItem } from '../../components/ConfirmDialog.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { formatBytes, plural } from '../../lib/format.ts';
import { request } from '../../lib/request.ts';

// Destroy, roll back, hold and release from the snapshot screens. Every destroy and rollback is the engine's
// guarded plan: planned on the NAS (exact items, GUIDs, the space `zfs destroy -nv` frees, held snapshots and
// common bases refused with the reason), shown in the one ConfirmDialog, and carried out with the plan's digest —
// the NAS is listed again right before acting and any difference refuses it.

export function planItems(plan: DestructionPlan): ConfirmItem[] {
  return plan.operations.flatMap((op) =>
    op.items.map((item) => ({
      label: item.name,
      detail: [item.kind === 'written-data' ? 'data written since the last snapshot' : item.kind, item.bytes === null ? null : formatBytes(item.bytes), item.note].filter(Boolean).join(', '),
    })),
  );
}

function RefusedList({ plan }: { plan: DestructionPlan }) {
  if (plan.refused.length === 0) return null;
  return (
    <div data-testid="refused-list">
      <strong>Not destroyed ({plan.refused.length}):</strong>
      <ul className="refused-list">
        {plan.refused.map((r) => (
          <li key={r.name}>
            <code>{r.name}</code> — {r.reason}
          </li>
        ))}
      </ul>
    </div>
  );
}

export interface ConfirmPlanOptions {
  connectionId: string;
  plan: DestructionPlan;
  title: string;
  message: string;
  confirmLabel: string;
  /** Said under the list, before the refused ones. */
  keeps?: string;
  onDone(): void;
}

/** Shows a plan in the one confirmation and executes it with its digest when confirmed. */
export function confirmPlan(options: ConfirmPlanOptions): void {
  const { plan } = options;
  const items = planItems(plan);
  openDialog((close) => <PlanConfirm {...options} items={items} close={close} />, { key: `plan:${plan.digest}` });
  void plan;
}

function PlanConfirm(props: ConfirmPlanOptions & { items: ConfirmItem[]; close(): void }) {
  const [error, setError] = useState<AppError | null>(null);
  const { plan } = props;
  const nothing = props.items.length === 0;
  return (
    <ConfirmDialog
      title={props.title}
      message={
        <>
          <p>{props.message}</p>
          <p>
            On <code>{plan.host}</code>. {plan.reclaimBytes === null ? '' : `zfs destroy -nv says this frees ${formatBytes(plan.reclaimBytes)}.`} This cannot be undone.
          </p>
        </>
      }
      items={props.items}
      itemsLabel={plan.purpose === 'rollback' ? 'The rollback destroys' : 'These will be destroyed'}
      keeps={
        <>
          {props.keeps ? <p>{props.keeps}</p> : null}
          <RefusedList plan={plan} />
        </>
      }
      confirmLabel={nothing ? 'Nothing to destroy' : props.confirmLabel}
      error={error}
      onClose={props.close}
      onConfirm={async () => {
        if (nothing) return true;
        const result = await request('executeSnapshotDestruction', { connectionId: props.connectionId, plan, confirmation: plan.digest }, { quiet: true, connectionId: props.connectionId });
        if (!result.ok) {
          setError(result.error);
          return false;
        }
        props.onDone();
        return true;
      }}
    />
  );
}

export async function destroySnapshots(connectionId: string, names: readonly string[], onDone: () => void): Promise<void> {
  const result = await request('planSnapshotDestroy', { connectionId, snapshots: [...names] }, { action: `Plan destroying ${plural(names.length, 'snapshot')}`, connectionId });
  if (!result.ok) return;
  const plan = result.value;
  const going = planItems(plan).length;
  confirmPlan({
    connectionId,
    plan,
    title: `Destroy ${plural(going, 'snapshot')}?`,
    message: `Destroys exactly the snapshots listed (one atomic zfs destroy per dataset). If anything on the NAS changed since this list was made, nothing is destroyed and you are shown the difference.`,
    confirmLabel: `Destroy ${plural(going, 'snapshot')}`,
    keeps: 'The datasets, their data and every other snapshot stay.',
    onDone,
  });
}

export async function rollbackTo(connectionId: string, snapshot: string, onDone: () => void): Promise<void> {
  const result = await request('planSnapshotRollback', { connectionId, snapshot }, { action: `Plan the rollback to ${snapshot}`, connectionId });
  if (!result.ok) return;
  const plan = result.value;
  confirmPlan({
    connectionId,
    plan,
    title: `Roll back to ${snapshot}?`,
    message: `The dataset returns to the state of ${snapshot}. Everything listed — newer snapshots, bookmarks and data written since — is destroyed.`,
    confirmLabel: plan.refused.length > 0 ? 'Roll back (refused)' : 'Roll back',
    onDone,
  });
}

export function editHolds(connectionId: string, action: 'hold' | 'release', names: readonly string[], onDone: () => void, suggestedTag = 'keep'): void {
  openDialog((close) => <HoldDialog connectionId={connectionId} action={action} names={names} close={close} onDone={onDone} suggestedTag={suggestedTag} />);
}

function HoldDialog(props: { connectionId: string; action: 'hold' | 'release'; names: readonly string[]; suggestedTag: string; close(): void; onDone(): void }) {
  const [tag, setTag] = useState(props.suggestedTag);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const hold = props.action === 'hold';
  const submit = async () => {
    setBusy(true);
    const result = await request('setSnapshotHolds', { connectionId: props.connectionId, action: props.action, tag: tag.trim(), snapshots: [...props.names] }, { quiet: true, connectionId: props.connectionId });
    setBusy(false);
    if (!result.ok) return setError(result.error);
    props.onDone();
    props.close();
  };
  return (
    <Dialog
      title={`${hold ? 'Hold' : 'Release'} ${plural(props.names.length, 'snapshot')}`}
      description={hold ? 'A held snapshot cannot be destroyed — by this app, a retention policy or anyone on the NAS — until every hold on it is released.' : 'Releasing a hold lets the snapshot be destroyed again (by hand or by a retention policy).'}
      onClose={props.close}
      busy={busy ? (hold ? 'Holding…' : 'Releasing…') : false}
      error={error}
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
      actions={
        <>
          <Button onPress={props.close}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={tag.trim() === ''}>
            {hold ? 'Hold' : 'Release'}
          </Button>
        </>
      }
    >
      <TextField className="field" value={tag} onChange={setTag} autoFocus>
        <Label className="field-label">Hold tag</Label>
        <Input className="input" />
      </TextField>
      <ul className="refused-list">
        {props.names.slice(0, 20).map((n) => (
          <li key={n}>
            <code>{n}</code>
          </li>
        ))}
        {props.names.length > 20 ? <li>and {props.names.length - 20} more</li> : null}
      </ul>
    </Dialog>
  );
}
