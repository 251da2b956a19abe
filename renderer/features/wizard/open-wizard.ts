import { navigate } from '../../lib/navigation.ts';
import { useWizard, type WizardOpenRequest } from './wizard-store.ts';

// The wizard's entry points for the rest of the app (the task dashboard's "New task", "Edit", "Load into wizard as
// a new task"; the command palette's "New replication task"). The wizard is a screen (route { view: 'wizard' });
// when it saves, it shows the task on the dashboard: navigate({ view: 'tasks', taskId, runId? }) — with the run id
// after "Save and run now", so the dashboard opens that run live.

export type { WizardOpenRequest } from './wizard-store.ts';

/** Opens the wizard: a new task, a saved task to edit, or a saved task's settings as a new task (never edits it). */
export function openWizard(request: WizardOpenRequest = { mode: 'new' }): void {
  void useWizard.getState().open(request);
  navigate({ view: 'wizard' });
}

export const openNewTaskWizard = () => openWizard({ mode: 'new' });
export const openEditTaskWizard = (taskId: string) => openWizard({ mode: 'edit', taskId });
/** "Load into wizard as a new task": the saved task stays as it is. */
export const openCopyTaskWizard = (taskId: string) => openWizard({ mode: 'copy', taskId });
