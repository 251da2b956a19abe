import { useEffect, useState } from 'react';
import type { PromoteReport, RepairReport, ResetReport, RunRefusal } from '../../../shared/replication-reports.ts';
import type { AppError } from '../../../shared/result.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import { Button } from '../../components/Button.tsx';
import { Checklist } from '../../components/Checklist.tsx';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { Notice } from '../../components/ErrorNotice.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { formatDateTime } from '../../lib/format.ts';
import { request } from '../../lib/request.ts';
import { commandsInFix, deleteKeeps, destructionCommands, destructionItems, doctorSteps, doctorSummary, repairLists, replicasToPromote, resetItems, type ListedItem } from './maintenance-model.ts';
import { openDashboard, openRun } from './open-run.ts';
import { useTasks } from './tasks-store.ts';

// Maintenance from a task's menu, each on the engine's own reports: Doctor (a checklist, each failure with its fix),
// Repair (the proposed plan, applied after a confirmation that lists it), Reset (dry run first: what it removes),
// Promote / failback (what becomes writable, then the failback plan), Delete (what stays on the NAS). Every
// destruction is the engine's DestructionPlan, item by item, confirmed in the one ConfirmDialog.

export interface TaskContext {
  taskId: string;
  taskName: string;
  sourceName: string;
  destinationName: string;
}

function ItemList({ items, testId, empty = 'Nothing.' }: { items: readonly ListedItem[]; testId?: string; empty?: string }) {
  if (items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="item-list" {...(testId ? { 'data-testid': testId } : {})}>
      {items.map((item) => (
        <li key={`${item.label}:${item.detail ?? ''}`}>
          <code>{item.label}</code>
          {item.detail ? <span className="muted"> — {item.detail}</span> : null}
        </li>
      ))}
    </ul>
  );
}

function Commands({ commands }: { commands: readonly string[] }) {
  if (commands.length === 0) return null;
  return (
    <details className="commands">
      <summary>Commands ({commands.length})</summary>
      <pre>{commands.join('\n')}</pre>
      <CopyButton text={commands.join('\n')} label="Copy commands" />
    </details>
  );
}

/** A maintenance verb's answer, or its error, loaded when the dialog opens. */
function useReport<T>(load: () => Promise<{ ok: true; value: T } | { ok: false; error: AppError }>, deps: readonly unknown[]) {
  const [state, setState] = useState<{ report: T | null; error: AppError | null; loading: boolean }>({ report: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    void load().then((result) => {
      if (live) setState(result.ok ? { report: result.value, error: null, loading: false } : { report: null, error: result.error, loading: false });
    });
    return () => {
      live = false;
    };
    // `load` is a new closure each render; `deps` name what it reads.
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

// ---- Doctor ------------------------------------------------------------------------------------------------

export function DoctorDialog({ taskId, taskName, sourceName, destinationName, onClose }: TaskContext & { onClose(): void }) {
  const { report, error, loading, reload } = useReport(() => request('doctorTask', { taskId }, { quiet: true }), [taskId]);
  const steps = report ? doctorSteps(report) : [];
  const failed = steps.some((s) => s.state === 'failed' || s.state === 'warn');
  return (
    <Dialog
      title={`Doctor: ${taskName}`}
      description="Checks SSH, privileges, versions, pools, read-only replicas, resume tokens, the common base, holds and the lock. Changes nothing."
      size="large"
      onClose={onClose}
      busy={loading ? 'Checking both NAS…' : false}
      error={error}
      testId="doctor-dialog"
      actions={
        <>
          {failed ? (
            <Button
              onPress={() => {
                onClose();
                openDialog((close) => <RepairDialog taskId={taskId} taskName={taskName} sourceName={sourceName} destinationName={destinationName} onClose={close} />);
              }}
            >
              Repair…
            </Button>
          ) : null}
          <Button onPress={reload} isDisabled={loading}>
            Check again
          </Button>
          <Button variant="primary" onPress={onClose}>
            Close
          </Button>
        </>
      }
    >
      {report ? (
        <>
          <p className="doctor-summary" data-testid="doctor-summary" data-status={report.status}>
            <strong>{doctorSummary(report)}</strong> <span className="muted">Checked {formatDateTime(report.checkedAt)}.</span>
          </p>
          {/* Focusable, so a keyboard can scroll a long checklist (the dialog body scrolls; axe scrollable-region-focusable). */}
          <div className="doctor-checks" tabIndex={0} role="region" aria-label="Checks">
            <Checklist
              label="Checks"
              steps={steps.map((s) => ({
                id: s.id,
                title: s.title,
                state: s.state,
                detail: s.detail,
                ...(s.fix && s.state !== 'done' ? { fix: <FixText text={s.fix} /> } : {}),
              }))}
            />
          </div>
        </>
      ) : null}
    </Dialog>
  );
}

/** A fix: its sentence, and any command in it with a copy button. */
function FixText({ text }: { text: string }) {
  const commands = commandsInFix(text);
  return (
    <div className="fix">
      <p>
        <strong>Fix:</strong> {text}
      </p>
      {commands.map((c) => (
        <div key={c} className="command-row">
          <code className="command-text">{c}</code>
          <CopyButton text={c} />
        </div>
      ))}
    </div>
  );
}

// ---- Repair ------------------------------------------------------------------------------------------------

export function RepairDialog({ taskId, taskName, onClose }: TaskContext & { onClose(): void }) {
  const { report, error, loading } = useReport<RepairReport>(() => request('repairTask', { taskId, dryRun: true }, { quiet: true }), [taskId]);
  const lists = report ? repairLists(report) : null;
  const apply = async () => {
    if (!report) return false;
    const result = await request('startRun', { kind: 'repair', taskId, confirmation: report.confirmation }, { action: `Repair ${taskName}` });
    if (!result.ok) return false;
    onClose();
    openRun(taskId, result.value.runId);
    return true;
  };
  return (
    <Dialog
      title={`Repair: ${taskName}`}
      description="The minimal repair after a destination rollback or a lost common base: holds, and a resend from the newest usable common snapshot or bookmark. Nothing changes until you apply it."
      size="large"
      onClose={onClose}
      busy={loading ? 'Working out the repair…' : false}
      error={error}
      testId="repair-dialog"
      actions={
        <>
          <Button onPress={onClose}>{lists?.healthy ? 'Close' : 'Cancel'}</Button>
          {lists && !lists.healthy ? (
            <Button
              variant={lists.destroys.length > 0 ? 'danger' : 'primary'}
              onPress={() =>
                openDialog((close) => (
                  <ConfirmDialog
                    title={`Apply the repair of ${taskName}?`}
                    tone={lists.destroys.length > 0 ? 'danger' : 'default'}
                    message={<p>The repair does exactly this, in order. {lists.destroys.length > 0 ? 'It destroys what is listed under it, and nothing else.' : 'It destroys nothing.'}</p>}
                    itemsLabel="The repair does"
                    items={[...lists.actions.map((a) => ({ label: a })), ...lists.destroys.map((d) => ({ label: d.label, detail: `destroyed: ${d.detail ?? ''}` }))]}
                    confirmLabel={lists.destroys.length > 0 ? `Destroy ${lists.destroys.length} and repair` : 'Apply the repair'}
                    onConfirm={apply}
                    onClose={close}
                  />
                ))
              }
            >
              Apply the repair…
            </Button>
          ) : null}
        </>
      }
    >
      {report && lists ? (
        lists.healthy ? (
          <Notice tone="success" title="Nothing to repair.">
            The common base and the holds are in place; the next run sends incrementally.
          </Notice>
        ) : (
          <>
            <h3>The plan</h3>
            <ol className="item-list" data-testid="repair-actions">
              {lists.actions.map((a) => (
                <li key={a}>{a}</li>
              ))}
            </ol>
            <h3>Destroyed on the destination ({lists.destroys.length})</h3>
            <ItemList items={lists.destroys} testId="repair-destroys" empty="Nothing: the repair destroys nothing." />
            <Commands commands={destructionCommands(report.destruction)} />
          </>
        )
      ) : null}
    </Dialog>
  );
}

// ---- Reset -------------------------------------------------------------------------------------------------

export function ResetDialog({ taskId, taskName, onClose }: TaskContext & { onClose(): void }) {
  const { report: dry, error, loading } = useReport<ResetReport>(() => request('resetTask', { taskId, dryRun: true }, { quiet: true }), [taskId]);
  const [done, setDone] = useState<ResetReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [applyError, setApplyError] = useState<AppError | null>(null);
  const shown = done ?? dry;
  const items = shown ? resetItems(shown) : [];
  const apply = async () => {
    setBusy(true);
    const result = await request('resetTask', { taskId, dryRun: false }, { quiet: true });
    setBusy(false);
    if (result.ok) setDone(result.value);
    else setApplyError(result.error);
  };
  return (
    <Dialog
      title={`Reset: ${taskName}`}
      description="Removes this task's holds, lock files and promoted mark on both NAS — never data. Use it before deleting a task, or when a stale lock blocks runs."
      size="large"
      onClose={onClose}
      busy={loading ? 'Dry run: finding what a reset removes…' : busy ? 'Resetting…' : false}
      error={error ?? applyError}
      testId="reset-dialog"
      actions={
        done ? (
          <Button variant="primary" onPress={onClose}>
            Close
          </Button>
        ) : (
          <>
            <Button onPress={onClose}>Cancel</Button>
            <Button variant="danger" isDisabled={!dry || items.length === 0} onPress={() => void apply()}>
              Reset: remove {items.length} item{items.length === 1 ? '' : 's'}
            </Button>
          </>
        )
      }
    >
      {shown ? (
        <>
          {done ? (
            <Notice tone="success" title="Reset done.">
              Removed what is listed. Without holds, retention may now prune the common base: run the task soon (or Repair) to hold a new one.
            </Notice>
          ) : (
            <p>
              <strong>Dry run:</strong> a reset would remove exactly this. No dataset, snapshot or byte of data is touched.
            </p>
          )}
          <ItemList items={items} testId="reset-items" empty="Nothing to remove: no holds, lock files or promoted mark of this task." />
          <Commands commands={shown.commands} />
        </>
      ) : null}
    </Dialog>
  );
}

// ---- Promote / failback ------------------------------------------------------------------------------------

export function PromoteDialog({ taskId, taskName, destinationName, sourceName, onClose }: TaskContext & { onClose(): void }) {
  const { report: dry, error, loading } = useReport<PromoteReport>(() => request('promoteTask', { taskId, dryRun: true }, { quiet: true }), [taskId]);
  const [done, setDone] = useState<PromoteReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [applyError, setApplyError] = useState<AppError | null>(null);
  const [step, setStep] = useState<1 | 2>(1);
  const shown = done ?? dry;
  const apply = async () => {
    setBusy(true);
    const result = await request('promoteTask', { taskId, dryRun: false }, { quiet: true });
    setBusy(false);
    if (result.ok) {
      setDone(result.value);
      setStep(2);
    } else setApplyError(result.error);
  };
  return (
    <Dialog
      title={`Promote / failback: ${taskName}`}
      description={`Failover: the replicas on ${destinationName || 'the destination'} become writable and are no longer replicated into. The failback plan says how to send the changes back to ${sourceName || 'the source'} later.`}
      size="large"
      onClose={onClose}
      busy={loading ? 'Dry run: what a promote changes…' : busy ? 'Promoting…' : false}
      error={error ?? applyError}
      testId="promote-dialog"
      actions={
        done ? (
          <Button variant="primary" onPress={onClose}>
            Close
          </Button>
        ) : step === 1 ? (
          <>
            <Button onPress={onClose}>Cancel</Button>
            <Button variant="primary" isDisabled={!dry} onPress={() => setStep(2)}>
              Next: the failback plan
            </Button>
          </>
        ) : (
          <>
            <Button onPress={() => setStep(1)}>Back</Button>
            <Button variant="danger" isDisabled={!dry || replicasToPromote(dry).length === 0} onPress={() => void apply()}>
              Promote {dry ? replicasToPromote(dry).length : 0} replica{dry && replicasToPromote(dry).length === 1 ? '' : 's'}
            </Button>
          </>
        )
      }
    >
      {shown ? (
        <>
          <p className="muted">Step {step} of 2{done ? ' — done' : ''}</p>
          {step === 1 ? (
            <>
              <h3>Becomes writable (readonly=off, marked promoted)</h3>
              <ItemList items={replicasToPromote(shown).map((p) => ({ label: p, detail: `${destinationName || 'destination'}` }))} testId="promote-writable" empty="Nothing: no replica to promote." />
              {shown.mounted.length > 0 ? (
                <>
                  <h3>Mounted</h3>
                  <ItemList items={shown.mounted.map((m) => ({ label: m }))} />
                </>
              ) : null}
              {shown.notes.length > 0 ? (
                <ul className="notes">
                  {shown.notes.map((n) => (
                    <li key={n}>{n}</li>
                  ))}
                </ul>
              ) : null}
              <p>While promoted, the task refuses to replicate into these replicas (so nothing written there is lost). Reset clears the mark.</p>
            </>
          ) : (
            <>
              {done ? (
                <Notice tone="success" title="Promoted.">
                  The replicas are writable. Keep this failback plan: it is how the changes go back.
                </Notice>
              ) : null}
              <h3>Failback plan</h3>
              {shown.failback.length === 0 ? <p className="muted">No failback plan (nothing promoted).</p> : null}
              {shown.failback.map((f) => (
                <div key={f.from} className="failback" data-testid="failback">
                  <p>
                    <code>{f.from}</code> → <code>{f.to}</code>:{' '}
                    {f.base ? (
                      <>
                        an incremental from the common <code>@{f.base}</code>
                      </>
                    ) : (
                      'no common snapshot: the old source needs a full resend'
                    )}
                  </p>
                  {f.rollbackDestroys.length > 0 ? (
                    <>
                      <p>The failback's rollback destroys on the old source:</p>
                      <ItemList items={f.rollbackDestroys.map((s) => ({ label: s, detail: 'newer than the common snapshot' }))} />
                    </>
                  ) : null}
                  <Commands commands={f.commands} />
                </div>
              ))}
            </>
          )}
          {done ? null : <Commands commands={shown.commands} />}
        </>
      ) : null}
    </Dialog>
  );
}

// ---- Delete ------------------------------------------------------------------------------------------------

export function DeleteTaskDialog({ taskId, taskName, sourceName, destinationName, task, onClose }: TaskContext & { task: ReplicationTask; onClose(): void }) {
  const removeTask = useTasks((s) => s.removeTask);
  return (
    <ConfirmDialog
      title={`Delete the task ${taskName}?`}
      message={<p>The task and its run history are deleted from this app. Nothing on either NAS is touched.</p>}
      itemsLabel="Deleted"
      items={[{ label: taskName, detail: 'the task (its settings and schedule)' }, { label: 'its run history', detail: 'the chart and the list of runs' }]}
      keeps={
        <div data-testid="delete-keeps">
          <p>
            <strong>Stays on the NAS:</strong>
          </p>
          <ul>
            {deleteKeeps(task, sourceName, destinationName).map((k) => (
              <li key={k}>{k}</li>
            ))}
          </ul>
        </div>
      }
      confirmLabel="Delete the task"
      onConfirm={async () => {
        const ok = await removeTask(taskId);
        if (ok) openDashboard();
        return ok;
      }}
      onClose={onClose}
    />
  );
}

// ---- Divergence --------------------------------------------------------------------------------------------

/** The confirmation of a refused run: the exact list of what goes, and proceed only on it. */
export function DivergenceConfirmDialog({ refusal, onConfirm, onClose }: { refusal: RunRefusal; onConfirm(): Promise<boolean>; onClose(): void }) {
  const items = destructionItems(refusal.destruction);
  return (
    <ConfirmDialog
      title="Destroy on the destination and replicate?"
      message={
        <p>
          On {refusal.destruction.host}, exactly these go — and nothing else: if the destination changes before the run acts, the run refuses again and lists the
          difference. This cannot be undone.
        </p>
      }
      itemsLabel="Will be destroyed"
      items={items}
      keeps={<p>The source is not touched. Everything else on the destination stays.</p>}
      confirmLabel={`Destroy ${items.length} and replicate`}
      onConfirm={onConfirm}
      onClose={onClose}
    />
  );
}
