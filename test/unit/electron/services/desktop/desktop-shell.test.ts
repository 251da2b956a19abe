import { describe, expect, it } from 'vitest';
import { acceleratorsOf, appMenuModel, shortcuts } from '../../../../../electron/services/desktop/app-menu.ts';
import { autostartPlan, desktopExecQuote, onWindowClose, shouldQuitWhenAllClosed, startsHidden } from '../../../../../electron/services/desktop/desktop-lifecycle.ts';
import { RunActivity, trayMenuModel, trayTooltip } from '../../../../../electron/services/desktop/tray-menu.ts';
import { UiCommandNameSchema } from '../../../../../shared/desktop-events.ts';

// The desktop shell's logic in plain Node: the tray, the menu and its shortcuts, closing to the tray, start at login.

describe('the tray', () => {
  it('lists the running tasks with progress, then Run all now, Pause schedules (checked when paused), Open, Quit', () => {
    const model = trayMenuModel({
      paused: true,
      runnable: 2,
      running: [{ taskId: 't1', taskName: 'docs', dataset: 'tank/docs', bytesSent: 1.5 * 1024 ** 3, bytesTotal: 4 * 1024 ** 3, bytesPerSecond: 12 * 1024 ** 2 }],
    });
    expect(model).toEqual([
      { type: 'item', label: 'docs: 1.5 GiB of 4.0 GiB (37%) at 12.0 MiB/s', enabled: true, action: { kind: 'open-task-log', taskId: 't1' } },
      { type: 'separator' },
      { type: 'item', label: 'Run all now', enabled: true, action: { kind: 'run-all' } },
      { type: 'item', label: 'Pause schedules', enabled: true, action: { kind: 'toggle-pause' }, checked: true },
      { type: 'separator' },
      { type: 'item', label: 'Open', enabled: true, action: { kind: 'open' } },
      { type: 'item', label: 'Quit', enabled: true, action: { kind: 'quit' } },
    ]);
    const idle = trayMenuModel({ paused: false, runnable: 0, running: [] });
    expect(idle[0]).toEqual({ type: 'item', label: 'No replication running', enabled: false, action: null });
    expect(idle[2]).toMatchObject({ label: 'Run all now', enabled: false });
    expect(trayTooltip({ paused: true, runnable: 0, running: [] })).toBe('ZFS Replication Desktop: schedules paused');
  });

  it('RunActivity follows the core events: started, progress, ended (today\'s status/progress and the run events)', () => {
    let changes = 0;
    const activity = new RunActivity({ taskName: (id) => (id === 't1' ? 'docs' : 'media'), changed: () => changes++ });
    activity.onEvent('status', { taskId: 't1', state: 'RUNNING' });
    expect(activity.running()).toEqual([{ taskId: 't1', taskName: 'docs', dataset: null, bytesSent: 0, bytesTotal: null, bytesPerSecond: 0 }]);
    expect(trayTooltip({ paused: false, runnable: 1, running: activity.running() })).toBe('ZFS Replication Desktop: docs: starting…');
    activity.onEvent('progress', { taskId: 't1', dataset: 'tank/docs', bytesSent: 1024, bytesTotal: 2048, bytesPerSecond: 512, etaSeconds: 2 });
    expect(activity.running()[0]).toMatchObject({ dataset: 'tank/docs', bytesSent: 1024, bytesTotal: 2048 });
    activity.onEvent('runStarted', { run: { taskId: 't2', dryRun: false } });
    activity.onEvent('runStarted', { run: { taskId: 't3', dryRun: true } });
    expect(activity.running().map((r) => r.taskName)).toEqual(['docs', 'media']);
    activity.onEvent('status', { taskId: 't1', state: 'FINISHED' });
    activity.onEvent('runFinished', { run: { taskId: 't2' } });
    expect(activity.running()).toEqual([]);
    expect(changes).toBe(5);
  });
});

describe('the menu and its shortcuts', () => {
  it('every shortcut is used once, the palette is Ctrl/Cmd+K, and every UI command is a contract command', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const menu = appMenuModel({ platform, paused: false, development: true });
      const accelerators = acceleratorsOf(menu);
      expect(new Set(accelerators).size).toBe(accelerators.length);
      expect(accelerators).toContain('CmdOrCtrl+K');
    }
    for (const { command } of shortcuts) if (command !== 'run-all') expect(UiCommandNameSchema.options).toContain(command);
  });

  it('Tasks menu: Run all now and Pause schedules (checked when paused); macOS gets the app menu', () => {
    const menu = appMenuModel({ platform: 'darwin', paused: true, development: false });
    expect(menu[0]!.label).toBe('ZFS Replication Desktop');
    expect(menu.find((g) => g.label === 'Tasks')!.items).toEqual([
      { type: 'item', label: 'Run all tasks now', accelerator: 'CmdOrCtrl+Shift+R', action: { kind: 'run-all' } },
      { type: 'item', label: 'Pause schedules', action: { kind: 'toggle-pause' }, checked: true },
    ]);
    expect(JSON.stringify(appMenuModel({ platform: 'linux', paused: false, development: false }))).not.toContain('toggleDevTools');
  });
});

describe('closing to the tray and starting at login', () => {
  it('close hides to the tray only when chosen, a tray exists and the app is not quitting', () => {
    expect(onWindowClose({ closeToTray: true, trayAvailable: true, quitting: false })).toEqual({ action: 'hide' });
    expect(onWindowClose({ closeToTray: true, trayAvailable: true, quitting: true })).toEqual({ action: 'close' });
    expect(onWindowClose({ closeToTray: true, trayAvailable: false, quitting: false })).toEqual({ action: 'close' });
    expect(onWindowClose({ closeToTray: false, trayAvailable: true, quitting: false })).toEqual({ action: 'close' });
    expect(shouldQuitWhenAllClosed({ platform: 'linux', closeToTray: false, trayAvailable: true })).toBe(true);
    expect(shouldQuitWhenAllClosed({ platform: 'linux', closeToTray: true, trayAvailable: true })).toBe(false);
    expect(shouldQuitWhenAllClosed({ platform: 'darwin', closeToTray: false, trayAvailable: true })).toBe(false);
    expect(startsHidden(['/app', '--hidden'], true)).toBe(true);
    expect(startsHidden(['/app', '--hidden'], false)).toBe(false);
  });

  it('start at login: a login item on macOS/Windows, an XDG autostart entry on Linux (removed when turned off)', () => {
    expect(autostartPlan({ platform: 'darwin', enabled: true, command: ['/Applications/Z.app'] })).toEqual({ kind: 'login-item', openAtLogin: true, args: ['--hidden'] });
    expect(autostartPlan({ platform: 'linux', enabled: true, command: ['/opt/ZFS Replication/zrd.AppImage'], env: { HOME: '/home/ann' } })).toEqual({
      kind: 'desktop-entry',
      path: '/home/ann/.config/autostart/zfs-replication-desktop.desktop',
      text: '[Desktop Entry]\nType=Application\nName=ZFS Replication Desktop\nComment=Replicates ZFS snapshots on schedule (starts in the tray)\nExec="/opt/ZFS Replication/zrd.AppImage" --hidden\nTerminal=false\nX-GNOME-Autostart-enabled=true\n',
    });
    expect(autostartPlan({ platform: 'linux', enabled: false, command: ['/x'], env: { XDG_CONFIG_HOME: '/cfg' } })).toEqual({ kind: 'desktop-entry', path: '/cfg/autostart/zfs-replication-desktop.desktop', text: null });
    expect(desktopExecQuote('a "b" $c 100%')).toBe('"a \\"b\\" \\$c 100%%"');
  });
});
