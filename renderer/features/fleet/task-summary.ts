import type { VerbResponse } from '../../../shared/contract.ts';

type TaskEntry = VerbResponse<'listTasks'>[number];

/** Tasks that read from or write to a NAS. */
export function tasksOf(tasks: readonly TaskEntry[], connectionId: string): TaskEntry[] {
  return tasks.filter((t) => t.task.sourceConnectionId === connectionId || t.task.destinationConnectionId === connectionId);
}

const stateRank: Record<string, number> = { FINISHED: 0, PENDING: 1, RUNNING: 2, FAILED: 3 };

/** The worst state among tasks (FAILED over RUNNING over PENDING over FINISHED); null when there are none. */
export function worstTaskState(tasks: readonly TaskEntry[]): TaskEntry['state'] | null {
  return tasks.reduce<TaskEntry['state'] | null>((acc, t) => (acc === null || (stateRank[t.state] ?? 0) > (stateRank[acc] ?? 0) ? t.state : acc), null);
}
