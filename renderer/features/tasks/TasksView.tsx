import type { TaskTab } from '../../lib/navigation.ts';
import { TaskDashboard } from './TaskDashboard.tsx';
import { TaskPage } from './TaskPage.tsx';
import './tasks.css';

/** The Tasks screen: the dashboard of every task, or one task's page (its run, history and log). */
export function TasksView({ taskId, runId, tab }: { taskId?: string | undefined; runId?: string | undefined; tab?: TaskTab | undefined }) {
  return taskId ? <TaskPage key={taskId} taskId={taskId} runId={runId ?? null} tab={tab ?? 'run'} /> : <TaskDashboard />;
}
