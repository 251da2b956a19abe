import { create } from 'zustand';
import type { VerbResponse } from '../../../shared/contract.ts';
import type { RunReport } from '../../../shared/replication-reports.ts';
import type { AppError } from '../../../shared/result.ts';
import type { PeriodicSnapshotTask, ReplicationTask } from '../../../shared/task-schemas.ts';
import { localTimeZone } from '../../../shared/time-zone.ts';
import { navigate } from '../../lib/navigation.ts';
import { request } from '../../lib/request.ts';
import { useFleet } from '../fleet/fleet-store.ts';
import { scheduleOf } from './schedule-presets.ts';
import { sameDestruction } from './review-model.ts';
import type { SourceSnapshot } from './snapshot-preview.ts';
import { emptyWizardForm, formFromTask, toTaskDraft, type WizardForm } from './wizard-form.ts';

// The wizard's slice: how it was opened (new, edit, a saved task's settings as a new task), the data its live
// previews read (source snapshots, periodic snapshot tasks), the engine's dry run of the draft (the review), and the
// save. The form's live values are react-hook-form's; `initial` + `formKey` reset it when the wizard opens again.

export type WizardMode = 'new' | 'edit' | 'copy';
export type WizardStep = 'what' | 'when' | 'review';

export interface SnapshotListing {
  loading: boolean;
  snapshots: SourceSnapshot[];
  error: AppError | null;
}

export interface PlanState {
  loading: boolean;
  report: RunReport | null;
  error: AppError | null;
  /** The draft the report is for (JSON), so a changed form is planned again. */
  draftKey: string | null;
}

export type TrustState = { state: 'unknown' } | { state: 'checking' } | { state: 'ok'; detail: string } | { state: 'failed'; error: AppError };

interface WizardState {
  mode: WizardMode;
  /** The saved task the form was loaded from (edit or copy). */
  loadedFrom: { id: string; name: string } | null;
  initial: WizardForm;
  formKey: number;
  step: WizardStep;
  snapshots: Record<string, SnapshotListing>;
  periodicTasks: PeriodicSnapshotTask[];
  plan: PlanState;
  trust: TrustState;
  saving: boolean;
  saveError: AppError | null;

  open(request: WizardOpenRequest): Promise<void>;
  /** Copies a saved task's settings into the form as a new task (the saved one is never changed). */
  loadPrevious(taskId: string): void;
  setStep(step: WizardStep): void;
  loadSnapshots(connectionId: string, dataset: string): Promise<void>;
  loadPeriodicTasks(): Promise<void>;
  planDraft(form: WizardForm): Promise<void>;
  checkTrust(form: WizardForm): Promise<void>;
  save(form: WizardForm, options: SaveOptions): Promise<{ task: ReplicationTask; runId: string | null } | null>;
  close(): void;
}

export type WizardOpenRequest = { mode: 'new' } | { mode: 'edit'; taskId: string } | { mode: 'copy'; taskId: string };

export interface SaveOptions {
  run: boolean;
  /** Sources (full names) that get a new periodic snapshot task. */
  newPeriodicTaskSources: readonly string[];
  /** "Destroy and replicate from scratch": the destruction the admin saw and confirmed (items by GUID). */
  confirmedDestruction?: NonNullable<RunReport['refusal']>['destruction'];
}

const emptyPlan: PlanState = { loading: false, report: null, error: null, draftKey: null };

export const snapshotsKey = (connectionId: string, dataset: string) => `${connectionId}:${dataset}`;

function taskById(taskId: string): ReplicationTask | null {
  return useFleet.getState().tasks.find((t) => t.task.id === taskId)?.task ?? null;
}

export const useWizard = create<WizardState>((set, get) => ({
  mode: 'new',
  loadedFrom: null,
  initial: emptyWizardForm(localTimeZone()),
  formKey: 0,
  step: 'what',
  snapshots: {},
  periodicTasks: [],
  plan: emptyPlan,
  trust: { state: 'unknown' },
  saving: false,
  saveError: null,

  open: async (openRequest) => {
    const zone = localTimeZone();
    if (openRequest.mode !== 'new' && !taskById(openRequest.taskId)) await useFleet.getState().loadTasks();
    const task = openRequest.mode === 'new' ? null : taskById(openRequest.taskId);
    const mode: WizardMode = task ? openRequest.mode : 'new';
    set((s) => ({
      mode,
      loadedFrom: task ? { id: task.id, name: task.name } : null,
      initial: task ? formFromTask(task, mode === 'edit' ? 'edit' : 'copy', zone) : emptyWizardForm(zone),
      formKey: s.formKey + 1,
      step: 'what',
      plan: emptyPlan,
      trust: { state: 'unknown' },
      saving: false,
      saveError: null,
    }));
    void get().loadPeriodicTasks();
  },

  loadPrevious: (taskId) => {
    const task = taskById(taskId);
    if (!task) return;
    set((s) => ({ mode: 'copy', loadedFrom: { id: task.id, name: task.name }, initial: formFromTask(task, 'copy', localTimeZone()), formKey: s.formKey + 1, plan: emptyPlan, trust: { state: 'unknown' } }));
  },

  setStep: (step) => set({ step }),

  loadSnapshots: async (connectionId, dataset) => {
    const key = snapshotsKey(connectionId, dataset);
    set((s) => ({ snapshots: { ...s.snapshots, [key]: { loading: true, snapshots: s.snapshots[key]?.snapshots ?? [], error: null } } }));
    const result = await request('listSnapshots', { connectionId, dataset, recursive: false }, { quiet: true, connectionId });
    set((s) => ({
      snapshots: { ...s.snapshots, [key]: result.ok ? { loading: false, snapshots: result.value, error: null } : { loading: false, snapshots: [], error: result.error } },
    }));
  },

  loadPeriodicTasks: async () => {
    const result = await request('listSnapshotTasks', {}, { quiet: true });
    if (result.ok) set({ periodicTasks: result.value });
  },

  planDraft: async (form) => {
    const draft = toTaskDraft({ ...form, name: form.name || 'draft' }, get().periodicTasks);
    const draftKey = JSON.stringify(draft);
    set({ plan: { loading: true, report: null, error: null, draftKey } });
    const destinationKey = form.encryption === 'encrypt-on-destination' && !form.storeKey && form.key ? form.key : undefined;
    const result = await request('planTask', { task: draft as never, ...(destinationKey ? { destinationKey } : {}) }, { quiet: true, connectionId: form.destinationConnectionId });
    if (get().plan.draftKey !== draftKey) return; // a newer plan was asked for
    set({ plan: result.ok ? { loading: false, report: result.value, error: null, draftKey } : { loading: false, report: null, error: result.error, draftKey } });
  },

  checkTrust: async (form) => {
    set({ trust: { state: 'checking' } });
    // establishNasTrust reuses what is there (key, authorized line, known host) and ends with a real ssh from the
    // source to the destination: it is the check and, when something is missing, the set-up.
    const result = await request(
      'establishNasTrust',
      { sourceConnectionId: form.sourceConnectionId, destinationConnectionId: form.destinationConnectionId, destinationAddress: { host: form.directHost, port: form.directPort } },
      { quiet: true, connectionId: form.sourceConnectionId },
    );
    set({ trust: result.ok ? { state: 'ok', detail: result.value.directions.map((d) => `${d.from} → ${d.to}`).join(', ') } : { state: 'failed', error: result.error } });
  },

  save: async (form, options) => {
    set({ saving: true, saveError: null });
    const fail = (error: AppError) => {
      set({ saving: false, saveError: error });
      return null;
    };
    const action = form.id ? `Save ${form.name}` : `Create ${form.name}`;
    // 1. The periodic snapshot tasks the admin saw (schedule and lifetime shown, not TrueNAS's hidden two weeks).
    const created: PeriodicSnapshotTask[] = [];
    const source = useFleet.getState().connections.find((c) => c.id === form.sourceConnectionId);
    for (const dataset of options.newPeriodicTaskSources) {
      const sourceEntry = form.sources.find((s) => s.name === dataset);
      const result = await request(
        'saveSnapshotTask',
        {
          connectionId: form.sourceConnectionId,
          dataset,
          recursive: sourceEntry?.recursive ?? false,
          exclude: sourceEntry?.recursive ? sourceEntry.exclude : [],
          namingSchema: form.namingSchema,
          timeZone: form.namesTimeZone,
          schedule: scheduleOf(form.newPeriodicTask),
          lifetime: { kind: 'custom', amount: form.newPeriodicTask.lifetimeAmount, unit: form.newPeriodicTask.lifetimeUnit },
        },
        { action: `Create the periodic snapshot task of ${dataset}${source ? ` on ${source.name}` : ''}` },
      );
      if (!result.ok) return fail(result.error);
      created.push(result.value);
    }
    // 2. The task itself (an edit keeps its id; a copy never touches the task it came from).
    const saved = await request('saveTask', toTaskDraft(form, get().periodicTasks) as never, { action });
    if (!saved.ok) return fail(saved.error);
    const task = saved.value;
    void useFleet.getState().loadTasks();
    void get().loadPeriodicTasks();
    if (!options.run) {
      set({ saving: false });
      return { task, runId: null };
    }
    // 3. Run now: a new periodic task takes its first snapshot, so the first run has something to send.
    for (const periodic of created) {
      const taken = await request('runSnapshotTask', { taskId: periodic.id, dryRun: false }, { action: `Take the first snapshot of ${periodic.dataset}` });
      if (!taken.ok) return fail(taken.error);
    }
    let confirmation: string | undefined;
    if (options.confirmedDestruction) {
      // The digest binds the task's id: plan the saved task again and proceed only if it destroys exactly what the
      // admin saw (same items, same GUIDs); anything else is shown again instead.
      const replanned = await request('planTask', { task: { ...toTaskDraft(form, get().periodicTasks), id: task.id } as never }, { action });
      if (!replanned.ok) return fail(replanned.error);
      const now = replanned.value.refusal;
      const seen = options.confirmedDestruction.operations.flatMap((op) => op.items);
      if (!now || !sameDestruction(seen, now.destruction.operations.flatMap((op) => op.items))) {
        set({ plan: { loading: false, report: replanned.value, error: null, draftKey: null }, step: 'review' });
        return fail({ code: 'CONFIRMATION_REQUIRED', message: 'The destination changed since the review: nothing was destroyed.', hint: 'Look at the new list in the review and confirm again.' } as AppError);
      }
      confirmation = now.confirmation;
    }
    const destinationKey = form.encryption === 'encrypt-on-destination' && !form.storeKey && form.key ? form.key : undefined;
    const started = await request(
      'startRun',
      { kind: 'replication', taskId: task.id, dryRun: false, ...(confirmation ? { confirmation } : {}), ...(destinationKey ? { destinationKey } : {}) },
      { action: `Run ${task.name}` },
    );
    if (!started.ok) return fail(started.error);
    set({ saving: false });
    return { task, runId: started.value.runId };
  },

  close: () => {
    set((s) => ({ step: 'what', plan: emptyPlan, saveError: null, initial: emptyWizardForm(localTimeZone()), formKey: s.formKey + 1, mode: 'new', loadedFrom: null }));
  },
}));

export type TaskListEntry = VerbResponse<'listTasks'>[number];

/** After Save: the dashboard shows the task (and, after Save and run now, its live run). */
export function showSavedTask(taskId: string, runId: string | null): void {
  navigate(runId ? { view: 'tasks', taskId, runId } : { view: 'tasks', taskId });
}
