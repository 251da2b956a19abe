import type { TaskScheduler } from '../schedules/task-scheduler.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

/** Who runs the schedules of this settings folder (the scheduler lock), and whether they are paused. */
export function schedulerHandlers(ctx: CoreContext, scheduler: () => TaskScheduler): HandlerGroup<'schedulerStatus'> {
  return {
    schedulerStatus: () => {
      const status = scheduler().status();
      return { state: status.state, holder: status.state === 'standby' ? status.holder : null, paused: ctx.store.getSettings().schedulesPaused };
    },
  };
}
