import { toast } from 'sonner';
import { useFleet } from '../../features/fleet/fleet-store.ts';
import { useSettings } from '../../features/settings/settings-store.ts';
import { request } from '../../lib/request.ts';

// Task actions the palette, the shortcuts and the menu share: run one, run all, stop one, pause the schedules.

export async function runTask(taskId: string, taskName: string): Promise<void> {
  toast(`Running ${taskName}…`, { id: `run:${taskId}` });
  const result = await request('runTask', { taskId, dryRun: false }, { action: `Run ${taskName}` });
  void useFleet.getState().loadTasks();
  if (result.ok && result.value.result === 'FINISHED') toast.success(`${taskName} replicated`, { id: `run:${taskId}` });
  else toast.dismiss(`run:${taskId}`);
}

export async function stopTask(taskId: string, taskName: string): Promise<void> {
  const result = await request('cancelTask', { taskId }, { action: `Stop ${taskName}` });
  if (result.ok) toast(result.value.cancelled ? `Stopping ${taskName}: its next run resumes the transfer` : `${taskName} was not running here`);
  void useFleet.getState().loadTasks();
}

export async function runAllTasks(): Promise<void> {
  const tasks = await request('listTasks', {}, { action: 'List the tasks' });
  if (!tasks.ok) return;
  const idle = tasks.value.filter((t) => t.state !== 'RUNNING');
  if (idle.length === 0) {
    toast('Every task is already running.');
    return;
  }
  await Promise.all(idle.map(({ task }) => runTask(task.id, task.name)));
}

export async function toggleSchedulesPaused(): Promise<void> {
  const paused = useSettings.getState().settings?.schedulesPaused ?? false;
  if (await useSettings.getState().update({ schedulesPaused: !paused })) toast(paused ? 'Schedules resumed' : 'Schedules paused: no scheduled run starts until you resume them');
}
