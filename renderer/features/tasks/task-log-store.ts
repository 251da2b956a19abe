import { create } from 'zustand';
import type { AppError } from '../../../shared/result.ts';
import { onEvent } from '../../lib/event-stream.ts';
import { request } from '../../lib/request.ts';
import { parseLogText, type TaskLogLine } from './task-log-lines.ts';

// The log panel's slice: a task's log file, read from its last 256 KiB and then followed (tailTaskLog: every line
// any process writes — this app, the CLI, the daemon — arrives as a taskLog event). One followed task at a time.

/** Lines kept in the panel (the file has them all; "Copy" copies what is shown). */
export const maxPanelLines = 5000;
const initialBytes = 256 * 1024;

export interface FollowedLog {
  taskId: string;
  lines: TaskLogLine[];
  path: string | null;
  /** Bytes of the file not loaded (older lines). */
  skippedBytes: number;
  loading: boolean;
  error: AppError | null;
}

interface TaskLogState {
  followed: FollowedLog | null;
  follow(taskId: string): Promise<void>;
  unfollow(taskId: string): Promise<void>;
  /** The whole current log file of a task (a past run's lines are cut from it). */
  readAll(taskId: string): Promise<{ lines: TaskLogLine[]; path: string } | AppError>;
}

function appendLines(log: FollowedLog, text: string, restarted: boolean): FollowedLog {
  const base = restarted ? [] : log.lines;
  const added = parseLogText(text, (base.at(-1)?.n ?? -1) + 1);
  const lines = base.length + added.length > maxPanelLines ? [...base, ...added].slice(-maxPanelLines) : [...base, ...added];
  return { ...log, lines };
}

export const useTaskLog = create<TaskLogState>((set, get) => ({
  followed: null,

  follow: async (taskId) => {
    const previous = get().followed;
    if (previous?.taskId === taskId) return;
    if (previous) void request('untailTaskLog', { taskId: previous.taskId }, { quiet: true });
    set({ followed: { taskId, lines: [], path: null, skippedBytes: 0, loading: true, error: null } });
    // The size first, then the last 256 KiB (from the middle of a line: its start is dropped).
    const head = await request('readTaskLog', { taskId, offset: 0, maxBytes: 1024 }, { quiet: true });
    if (!head.ok) {
      set((s) => (s.followed?.taskId === taskId ? { followed: { ...s.followed, loading: false, error: head.error } } : {}));
      return;
    }
    const from = Math.max(0, head.value.size - initialBytes);
    const chunk = from === 0 && head.value.nextOffset >= head.value.size ? head : await request('readTaskLog', { taskId, offset: from, maxBytes: initialBytes }, { quiet: true });
    if (!chunk.ok) {
      set((s) => (s.followed?.taskId === taskId ? { followed: { ...s.followed, loading: false, error: chunk.error } } : {}));
      return;
    }
    if (get().followed?.taskId !== taskId) return;
    const lines = parseLogText(chunk.value.text, 0, from > 0);
    set({ followed: { taskId, lines, path: chunk.value.path, skippedBytes: from, loading: false, error: null } });
    await request('tailTaskLog', { taskId, offset: chunk.value.nextOffset }, { quiet: true });
  },

  unfollow: async (taskId) => {
    if (get().followed?.taskId !== taskId) return;
    set({ followed: null });
    await request('untailTaskLog', { taskId }, { quiet: true });
  },

  readAll: async (taskId) => {
    let offset = 0;
    let text = '';
    let path = '';
    // The file is rotated at 2 MiB: at most a few reads of 1 MiB.
    for (let i = 0; i < 8; i++) {
      const chunk = await request('readTaskLog', { taskId, offset, maxBytes: 1024 * 1024 }, { quiet: true });
      if (!chunk.ok) return chunk.error;
      text += chunk.value.text;
      path = chunk.value.path;
      if (chunk.value.nextOffset === offset || chunk.value.nextOffset >= chunk.value.size) break;
      offset = chunk.value.nextOffset;
    }
    return { lines: parseLogText(text), path };
  },
}));

onEvent('taskLog', (chunk) => {
  useTaskLog.setState((s) => (s.followed?.taskId === chunk.taskId ? { followed: appendLines(s.followed, chunk.text, chunk.restarted) } : {}));
});
