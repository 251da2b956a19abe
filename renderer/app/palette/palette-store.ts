import { navigate } from '../../lib/navigation.ts';
import type { PaletteAction } from './palette-items.ts';
import { runAllTasks, runTask, stopTask, toggleSchedulesPaused } from './task-actions.ts';
import { runUiCommand } from './ui-commands.ts';

// What a palette entry does when chosen.

export async function performPaletteAction(action: PaletteAction): Promise<void> {
  switch (action.kind) {
    case 'navigate':
      navigate(action.route);
      return;
    case 'ui':
      await runUiCommand({ command: action.command });
      return;
    case 'run-task':
      await runTask(action.taskId, action.taskName);
      return;
    case 'stop-task':
      await stopTask(action.taskId, action.taskName);
      return;
    case 'run-all':
      await runAllTasks();
      return;
    case 'toggle-pause':
      await toggleSchedulesPaused();
      return;
  }
}
