import type { VerbResponse } from '../../../shared/contract.ts';
import type { UiCommandName } from '../../../shared/desktop-events.ts';
import type { Connection } from '../../../shared/schemas.ts';
import type { Route } from '../../lib/navigation.ts';

// What the command palette (Ctrl/Cmd+K) offers, as data: jump to a view, a NAS, a task or a dataset; run or stop a
// task; the menu's commands with the same shortcuts. Built from what the stores already hold (no request per
// keystroke); cmdk filters it as the admin types.

export type PaletteAction =
  | { kind: 'navigate'; route: Route }
  | { kind: 'ui'; command: UiCommandName }
  | { kind: 'run-task'; taskId: string; taskName: string }
  | { kind: 'stop-task'; taskId: string; taskName: string }
  | { kind: 'run-all' }
  | { kind: 'toggle-pause' };

export interface PaletteItem {
  /** Unique; cmdk's value. */
  id: string;
  group: 'Go to' | 'NAS' | 'Tasks' | 'Datasets' | 'Actions';
  label: string;
  /** Extra words it is found by (host, user, dataset path). */
  keywords: string[];
  /** Shown at the right: the same keys as the menu's accelerator (CmdOrCtrl written for this platform). */
  shortcut?: string;
  action: PaletteAction;
}

/** The menu's accelerators (electron/services/desktop/app-menu.ts `shortcuts`), as this platform writes them. */
export const paletteShortcuts: Partial<Record<UiCommandName | 'run-all', string>> = {
  'open-command-palette': 'CmdOrCtrl+K',
  'go-fleet': 'CmdOrCtrl+1',
  'go-tasks': 'CmdOrCtrl+2',
  'go-snapshots': 'CmdOrCtrl+3',
  'go-schedule': 'CmdOrCtrl+4',
  'go-settings': 'CmdOrCtrl+,',
  'new-connection': 'CmdOrCtrl+Shift+N',
  'new-task': 'CmdOrCtrl+N',
  'export-config': 'CmdOrCtrl+Shift+E',
  'import-config': 'CmdOrCtrl+Shift+I',
  'run-all': 'CmdOrCtrl+Shift+R',
};

export function shortcutLabel(accelerator: string, mac: boolean): string {
  return accelerator.replace('CmdOrCtrl', mac ? '⌘' : 'Ctrl').replace(/\+/g, mac ? '' : '+').replace('Shift', mac ? '⇧' : 'Shift');
}

export interface PaletteSources {
  connections: readonly Connection[];
  tasks: readonly VerbResponse<'listTasks'>[number][];
  /** Datasets already loaded per connection id (the dataset browser's cache). */
  datasets: Readonly<Record<string, ReadonlyArray<{ name: string }>>>;
  schedulesPaused: boolean;
  mac: boolean;
}

const go = (id: string, label: string, route: Route, command: UiCommandName, keywords: string[] = []): Omit<PaletteItem, 'shortcut'> & { command: UiCommandName } => ({
  id: `go:${id}`,
  group: 'Go to',
  label,
  keywords,
  action: { kind: 'navigate', route },
  command,
});

/** At most this many datasets per NAS (a NAS with 10,000 datasets would drown the list; the browser filters those). */
export const datasetsPerNas = 500;

export function paletteItems(sources: PaletteSources): PaletteItem[] {
  const shortcut = (command: UiCommandName | 'run-all') => {
    const accelerator = paletteShortcuts[command];
    return accelerator ? { shortcut: shortcutLabel(accelerator, sources.mac) } : {};
  };
  const items: PaletteItem[] = [];
  for (const { command, ...item } of [
    go('fleet', 'NAS fleet', { view: 'fleet' }, 'go-fleet', ['overview', 'connections']),
    go('datasets', 'Datasets', { view: 'datasets' }, 'go-fleet', ['browse', 'pools']),
    go('tasks', 'Tasks', { view: 'tasks' }, 'go-tasks', ['replication', 'dashboard']),
    go('snapshots', 'Snapshots', { view: 'snapshots' }, 'go-snapshots', ['retention']),
    go('schedule', 'Schedule', { view: 'schedule' }, 'go-schedule', ['calendar']),
    go('settings', 'Settings', { view: 'settings' }, 'go-settings', ['preferences', 'theme', 'tray', 'notifications']),
  ]) {
    items.push({ ...item, ...(item.id === 'go:datasets' ? {} : shortcut(command)) });
  }
  const action = (id: string, label: string, act: PaletteAction, keywords: string[], key?: UiCommandName | 'run-all'): PaletteItem => ({ id: `action:${id}`, group: 'Actions', label, keywords, action: act, ...(key ? shortcut(key) : {}) });
  items.push(action('new-connection', 'Add a NAS…', { kind: 'ui', command: 'new-connection' }, ['new', 'connection', 'host'], 'new-connection'));
  items.push(action('new-task', 'New replication task…', { kind: 'ui', command: 'new-task' }, ['create', 'wizard'], 'new-task'));
  items.push(action('run-all', 'Run all tasks now', { kind: 'run-all' }, ['start', 'replicate'], 'run-all'));
  items.push(action('toggle-pause', sources.schedulesPaused ? 'Resume schedules' : 'Pause schedules', { kind: 'toggle-pause' }, ['schedule', 'stop', 'hold']));
  items.push(action('export', 'Export connections and tasks…', { kind: 'ui', command: 'export-config' }, ['backup', 'save', 'file'], 'export-config'));
  items.push(action('import', 'Import connections and tasks…', { kind: 'ui', command: 'import-config' }, ['restore', 'load', 'file'], 'import-config'));

  for (const connection of sources.connections) {
    items.push({ id: `nas:${connection.id}`, group: 'NAS', label: connection.name, keywords: [connection.host, connection.username, 'nas'], action: { kind: 'navigate', route: { view: 'datasets', connectionId: connection.id } } });
  }
  for (const { task, state } of sources.tasks) {
    const keywords = [...task.sources.map((s) => s.name), task.destinationParent];
    items.push({ id: `task:${task.id}`, group: 'Tasks', label: `${task.name}`, keywords: [...keywords, state.toLowerCase()], action: { kind: 'navigate', route: { view: 'tasks' } } });
    items.push(
      state === 'RUNNING'
        ? { id: `stop:${task.id}`, group: 'Tasks', label: `Stop ${task.name}`, keywords: ['cancel', ...keywords], action: { kind: 'stop-task', taskId: task.id, taskName: task.name } }
        : { id: `run:${task.id}`, group: 'Tasks', label: `Run ${task.name} now`, keywords: ['start', 'replicate', ...keywords], action: { kind: 'run-task', taskId: task.id, taskName: task.name } },
    );
  }
  for (const connection of sources.connections) {
    for (const dataset of (sources.datasets[connection.id] ?? []).slice(0, datasetsPerNas)) {
      items.push({ id: `dataset:${connection.id}:${dataset.name}`, group: 'Datasets', label: dataset.name, keywords: [connection.name], action: { kind: 'navigate', route: { view: 'datasets', connectionId: connection.id, filter: dataset.name } } });
    }
  }
  return items;
}

/** Which shortcuts the window handles itself: all of them in browser mode; in Electron the menu's accelerators do. */
const keyCommands: ReadonlyArray<{ key: string; shift: boolean; command: UiCommandName | 'run-all' }> = [
  { key: 'k', shift: false, command: 'open-command-palette' },
  { key: '1', shift: false, command: 'go-fleet' },
  { key: '2', shift: false, command: 'go-tasks' },
  { key: '3', shift: false, command: 'go-snapshots' },
  { key: '4', shift: false, command: 'go-schedule' },
  { key: ',', shift: false, command: 'go-settings' },
  { key: 'n', shift: true, command: 'new-connection' },
  { key: 'n', shift: false, command: 'new-task' },
  { key: 'e', shift: true, command: 'export-config' },
  { key: 'i', shift: true, command: 'import-config' },
  { key: 'r', shift: true, command: 'run-all' },
];

export function keyCommandOf(event: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>, mac: boolean): UiCommandName | 'run-all' | null {
  const modifier = mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  if (!modifier || event.altKey) return null;
  const key = event.key.toLowerCase();
  return keyCommands.find((k) => k.key === key && k.shift === event.shiftKey)?.command ?? null;
}

/**
 * How well an entry matches what was typed (cmdk's filter; 0 hides it): the label first — exact, prefix, contained —,
 * then every typed word in the label or the keywords, then the letters in order in the label.
 */
export function paletteScore(label: string, keywords: readonly string[], search: string): number {
  const typed = search.trim().toLowerCase();
  if (!typed) return 1;
  const text = label.toLowerCase();
  if (text === typed) return 1;
  if (text.startsWith(typed)) return 0.9;
  if (text.includes(typed)) return 0.8;
  const words = typed.split(/\s+/);
  const haystack = [text, ...keywords.map((k) => k.toLowerCase())];
  if (words.every((word) => text.includes(word))) return 0.7;
  if (words.every((word) => haystack.some((h) => h.includes(word)))) return 0.5;
  let at = 0;
  for (const char of typed.replace(/\s+/g, '')) {
    at = text.indexOf(char, at) + 1;
    if (at === 0) return 0;
  }
  return 0.2;
}
