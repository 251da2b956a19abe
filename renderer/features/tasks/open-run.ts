import { navigate, type TaskTab } from '../../lib/navigation.ts';

// How other features open the dashboard's task views (the wizard's "Save and run now", the palette, a
// notification): a route, never an import of the views.

/**
 * The live view of a run: the task's "Run" tab following `runId` (the id startRun answered with). Without a run id
 * it shows the task's run in progress, or its last one.
 */
export function openRun(taskId: string, runId?: string): void {
  navigate({ view: 'tasks', taskId, tab: 'run', ...(runId ? { runId } : {}) });
}

/** A task's page on one of its tabs (run, history, log). */
export function openTask(taskId: string, tab: TaskTab = 'run'): void {
  navigate({ view: 'tasks', taskId, tab });
}

/** The dashboard: every task. */
export function openDashboard(): void {
  navigate({ view: 'tasks' });
}
