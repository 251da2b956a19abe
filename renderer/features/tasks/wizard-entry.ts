import { openWizard } from '../wizard/open-wizard.ts';

// The one place the dashboard opens the replication task wizard (renderer/features/wizard): "New task", "Edit" and
// "Load into wizard as a new task" (a copy of the settings; the loaded task is never edited).

export type WizardRequest = { mode: 'new' } | { mode: 'edit'; taskId: string } | { mode: 'copy'; taskId: string };

export function openTaskWizard(request: WizardRequest): void {
  openWizard(request);
}
