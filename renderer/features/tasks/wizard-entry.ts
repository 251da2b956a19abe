import { toast } from 'sonner';

// The one place the dashboard opens the replication task wizard (renderer/features/wizard, built beside this
// feature). Until its entry point (renderer/features/wizard/open-wizard.ts) is on this branch, this says so.

export type WizardRequest =
  /** A new task. */
  | { mode: 'new' }
  /** Edit a saved task. */
  | { mode: 'edit'; taskId: string }
  /** "Load into wizard as a new task": a copy of its settings, never editing the loaded one. */
  | { mode: 'copy'; taskId: string };

export function openTaskWizard(request: WizardRequest): void {
  toast(request.mode === 'edit' ? 'Editing a task needs the task wizard, which is not in this build yet.' : 'The task wizard is not in this build yet.', { id: 'wizard-missing' });
}
