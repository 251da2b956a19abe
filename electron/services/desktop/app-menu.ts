import type { UiCommandName } from '../../../shared/desktop-events.ts';

// The application menu with its keyboard shortcuts, as plain data (Electron main maps it to a Menu; the command
// palette lists the same commands with the same shortcuts). Accelerators use Electron's "CmdOrCtrl": Cmd on macOS,
// Ctrl elsewhere.

export type MenuAction =
  | { kind: 'ui'; command: UiCommandName }
  | { kind: 'run-all' }
  | { kind: 'toggle-pause' }
  | { kind: 'role'; role: 'quit' | 'close' | 'reload' | 'toggleDevTools' | 'resetZoom' | 'zoomIn' | 'zoomOut' | 'togglefullscreen' | 'undo' | 'redo' | 'cut' | 'copy' | 'paste' | 'selectAll' | 'about' | 'hide' | 'minimize' };

export type MenuEntry = { type: 'separator' } | { type: 'item'; label: string; accelerator?: string; action: MenuAction; checked?: boolean };

export interface MenuGroup {
  label: string;
  items: MenuEntry[];
}

/** The commands with a shortcut, shared with the command palette so both show the same keys. */
export const shortcuts: ReadonlyArray<{ command: UiCommandName | 'run-all'; label: string; accelerator: string }> = [
  { command: 'open-command-palette', label: 'Command palette…', accelerator: 'CmdOrCtrl+K' },
  { command: 'go-fleet', label: 'NAS fleet', accelerator: 'CmdOrCtrl+1' },
  { command: 'go-tasks', label: 'Tasks', accelerator: 'CmdOrCtrl+2' },
  { command: 'go-snapshots', label: 'Snapshots', accelerator: 'CmdOrCtrl+3' },
  { command: 'go-schedule', label: 'Schedule', accelerator: 'CmdOrCtrl+4' },
  { command: 'go-settings', label: 'Settings', accelerator: 'CmdOrCtrl+,' },
  { command: 'new-connection', label: 'New connection…', accelerator: 'CmdOrCtrl+Shift+N' },
  { command: 'new-task', label: 'New replication task…', accelerator: 'CmdOrCtrl+N' },
  { command: 'export-config', label: 'Export connections and tasks…', accelerator: 'CmdOrCtrl+Shift+E' },
  { command: 'import-config', label: 'Import connections and tasks…', accelerator: 'CmdOrCtrl+Shift+I' },
  { command: 'run-all', label: 'Run all tasks now', accelerator: 'CmdOrCtrl+Shift+R' },
];

function shortcut(command: UiCommandName | 'run-all'): { label: string; accelerator: string } {
  const found = shortcuts.find((s) => s.command === command)!;
  return { label: found.label, accelerator: found.accelerator };
}

const ui = (command: UiCommandName): MenuEntry => ({ type: 'item', ...shortcut(command), action: { kind: 'ui', command } });
const role = (label: string, name: Extract<MenuAction, { kind: 'role' }>['role'], accelerator?: string): MenuEntry => ({ type: 'item', label, ...(accelerator ? { accelerator } : {}), action: { kind: 'role', role: name } });
const separator: MenuEntry = { type: 'separator' };

export function appMenuModel(options: { platform: NodeJS.Platform; paused: boolean; development: boolean }): MenuGroup[] {
  const mac = options.platform === 'darwin';
  const groups: MenuGroup[] = [];
  if (mac) groups.push({ label: 'ZFS Replication Desktop', items: [role('About ZFS Replication Desktop', 'about'), separator, ui('go-settings'), separator, role('Hide', 'hide', 'Cmd+H'), role('Quit', 'quit', 'Cmd+Q')] });
  groups.push({
    label: 'File',
    items: [ui('new-connection'), ui('new-task'), separator, ui('export-config'), ui('import-config'), separator, role('Close window', 'close', 'CmdOrCtrl+W'), ...(mac ? [] : [separator, ui('go-settings'), role('Quit', 'quit', 'Ctrl+Q')])],
  });
  groups.push({ label: 'Edit', items: [role('Undo', 'undo', 'CmdOrCtrl+Z'), role('Redo', 'redo', 'CmdOrCtrl+Shift+Z'), separator, role('Cut', 'cut', 'CmdOrCtrl+X'), role('Copy', 'copy', 'CmdOrCtrl+C'), role('Paste', 'paste', 'CmdOrCtrl+V'), role('Select all', 'selectAll', 'CmdOrCtrl+A')] });
  groups.push({ label: 'Go', items: [ui('open-command-palette'), separator, ui('go-fleet'), ui('go-tasks'), ui('go-snapshots'), ui('go-schedule')] });
  groups.push({
    label: 'Tasks',
    items: [
      { type: 'item', ...shortcut('run-all'), action: { kind: 'run-all' } },
      { type: 'item', label: 'Pause schedules', action: { kind: 'toggle-pause' }, checked: options.paused },
    ],
  });
  groups.push({
    label: 'View',
    items: [role('Actual size', 'resetZoom', 'CmdOrCtrl+0'), role('Zoom in', 'zoomIn', 'CmdOrCtrl+Plus'), role('Zoom out', 'zoomOut', 'CmdOrCtrl+-'), separator, role('Full screen', 'togglefullscreen', mac ? 'Ctrl+Cmd+F' : 'F11'), ...(options.development ? [separator, role('Reload', 'reload', 'CmdOrCtrl+R'), role('Developer tools', 'toggleDevTools', mac ? 'Alt+Cmd+I' : 'Ctrl+Shift+J')] : [])],
  });
  groups.push({ label: 'Window', items: [role('Minimize', 'minimize', 'CmdOrCtrl+M'), role('Close', 'close')] });
  return groups;
}

/** Every accelerator of the menu, to check none is used twice. */
export function acceleratorsOf(groups: readonly MenuGroup[]): string[] {
  return groups.flatMap((group) => group.items.flatMap((item) => (item.type === 'item' && item.accelerator ? [item.accelerator] : [])));
}
