import { z } from 'zod';

// What the desktop integration tells the user (electron/services/desktop): the same notification reaches the
// Electron main process (a native notification) and the renderer (an in-app toast in browser mode), as one event.

export const NotificationKindSchema = z.enum([
  /** A run failed: its one-line hint says what to do; clicking opens its log. */
  'run-failed',
  /** The first successful run after one or more failures. */
  'run-recovered',
  /** A replica is later than its schedule allows (as `zfs-replication status --monitor` measures it). */
  'replica-late',
]);
export type NotificationKind = z.output<typeof NotificationKindSchema>;

export const NotificationSchema = z.object({
  /** Unique per notification (a toast library de-duplicates by it). */
  id: z.string(),
  kind: NotificationKindSchema,
  level: z.enum(['error', 'warning', 'success']),
  title: z.string(),
  /** One line: the error's hint, or how late the replica is. */
  body: z.string(),
  taskId: z.string(),
  taskName: z.string(),
  at: z.string(),
});
export type AppNotification = z.output<typeof NotificationSchema>;

/**
 * Commands the menu, its keyboard shortcuts, the tray and notification clicks send to the window (the renderer
 * carries them out): the same names the command palette offers.
 */
export const UiCommandNameSchema = z.enum([
  'open-command-palette',
  'go-fleet',
  'go-tasks',
  'go-snapshots',
  'go-schedule',
  'go-settings',
  'new-connection',
  'new-task',
  /** Export / import connections and tasks as one file (the exportConfig / planImport / importConfig verbs). */
  'export-config',
  'import-config',
  /** Shows the task's log (taskId required). */
  'open-task-log',
]);
export type UiCommandName = z.output<typeof UiCommandNameSchema>;

export const UiCommandSchema = z.object({ command: UiCommandNameSchema, taskId: z.string().optional() });
export type UiCommand = z.output<typeof UiCommandSchema>;
