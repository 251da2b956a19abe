import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { app, Menu, nativeImage, Notification, Tray, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { AppNotification, UiCommand } from '../../shared/desktop-events.ts';
import type { Core } from '../services/core.ts';
import { appMenuModel, type MenuAction, type MenuGroup } from '../services/desktop/app-menu.ts';
import { autostartPlan, onWindowClose, shouldQuitWhenAllClosed } from '../services/desktop/desktop-lifecycle.ts';
import { startNotifications } from '../services/desktop/notifications.ts';
import { RunActivity, trayMenuModel, trayTooltip, type TrayAction, type TrayItem } from '../services/desktop/tray-menu.ts';

// The desktop shell around the core, kept thin: the tray, the application menu, native notifications, close to
// tray and start at login. What they show and decide is in electron/services/desktop (tested in plain Node);
// this file only maps it onto Electron's objects.

export interface DesktopShell {
  /** The window to show (recreated when it was closed). */
  showWindow(): void;
  trayAvailable(): boolean;
  dispose(): void;
}

export interface DesktopShellOptions {
  core: Core;
  window(): BrowserWindow;
  /** Sends a UI command to the window (the renderer carries it out: the palette's commands). */
  sendUi(command: UiCommand): void;
}

function iconImage(size: number): Electron.NativeImage {
  const image = nativeImage.createFromPath(path.join(app.getAppPath(), 'build', 'icon.png'));
  return image.isEmpty() ? image : image.resize({ width: size, height: size });
}

function toMenuItem(item: TrayItem, act: (action: TrayAction) => void): MenuItemConstructorOptions {
  if (item.type === 'separator') return { type: 'separator' };
  const action = item.action;
  return {
    label: item.label,
    enabled: item.enabled,
    ...(item.checked === undefined ? {} : { type: 'checkbox' as const, checked: item.checked }),
    ...(action ? { click: () => act(action) } : {}),
  };
}

export function startDesktopShell(options: DesktopShellOptions): DesktopShell {
  const { core } = options;
  let quitting = false;
  let tray: Tray | null = null;

  const showWindow = () => {
    const window = options.window();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  };
  const runAll = () => {
    for (const task of core.store.listTasks()) {
      if (core.runs.isRunning(task.id)) continue;
      void core.call('runTask', { taskId: task.id, dryRun: false });
    }
  };
  const togglePause = () => void core.call('updateSettings', { schedulesPaused: !core.store.getSettings().schedulesPaused });

  // ---- tray --------------------------------------------------------------------------------------------------
  const activity = new RunActivity({ taskName: (id) => core.store.getTask(id).name, changed: () => scheduleTrayUpdate() });
  const trayAct = (action: TrayAction) => {
    if (action.kind === 'open') showWindow();
    else if (action.kind === 'open-task-log') {
      showWindow();
      options.sendUi({ command: 'open-task-log', taskId: action.taskId });
    } else if (action.kind === 'run-all') runAll();
    else if (action.kind === 'toggle-pause') togglePause();
    else if (action.kind === 'quit') app.quit();
  };
  const trayState = () => ({
    running: activity.running(),
    paused: core.store.getSettings().schedulesPaused,
    runnable: core.store.listTasks().filter((t) => !core.runs.isRunning(t.id)).length,
  });
  let trayTimer: NodeJS.Timeout | null = null;
  const updateTray = () => {
    trayTimer = null;
    if (!tray) return;
    const state = trayState();
    tray.setContextMenu(Menu.buildFromTemplate(trayMenuModel(state).map((item) => toMenuItem(item, trayAct))));
    tray.setToolTip(trayTooltip(state));
  };
  // Progress arrives several times a second: rebuild the tray menu at most once a second.
  function scheduleTrayUpdate(): void {
    trayTimer ??= setTimeout(updateTray, 1000);
  }
  try {
    tray = new Tray(iconImage(process.platform === 'darwin' ? 16 : 24));
    tray.on('click', showWindow);
    updateTray();
  } catch {
    // No system tray (some Linux desktops): closing then quits, as without close-to-tray.
    tray = null;
  }

  // ---- application menu --------------------------------------------------------------------------------------
  const menuAct = (action: MenuAction) => {
    if (action.kind === 'ui') {
      showWindow();
      options.sendUi({ command: action.command });
    } else if (action.kind === 'run-all') runAll();
    else if (action.kind === 'toggle-pause') togglePause();
  };
  const toTemplate = (groups: MenuGroup[]): MenuItemConstructorOptions[] =>
    groups.map((group) => ({
      label: group.label,
      submenu: group.items.map((item): MenuItemConstructorOptions => {
        if (item.type === 'separator') return { type: 'separator' };
        const { action } = item;
        if (action.kind === 'role') return { label: item.label, role: action.role, ...(item.accelerator ? { accelerator: item.accelerator } : {}) };
        return {
          label: item.label,
          ...(item.accelerator ? { accelerator: item.accelerator } : {}),
          ...(item.checked === undefined ? {} : { type: 'checkbox' as const, checked: item.checked }),
          click: () => menuAct(action),
        };
      }),
    }));
  const updateMenu = () => Menu.setApplicationMenu(Menu.buildFromTemplate(toTemplate(appMenuModel({ platform: process.platform, paused: core.store.getSettings().schedulesPaused, development: !app.isPackaged }))));
  updateMenu();

  // ---- notifications: native here; the window gets the same event for its own use ---------------------------
  const showNotification = (notification: AppNotification) => {
    if (!Notification.isSupported()) return;
    const native = new Notification({ title: notification.title, body: notification.body, icon: iconImage(64), urgency: notification.level === 'error' ? 'critical' : 'normal' });
    native.on('click', () => {
      showWindow();
      options.sendUi({ command: 'open-task-log', taskId: notification.taskId });
    });
    native.show();
  };
  const stopNotifications = startNotifications(core);

  // ---- start at login ----------------------------------------------------------------------------------------
  const applyAutostart = (enabled: boolean) => {
    const command = app.isPackaged ? [process.env.APPIMAGE ?? process.execPath] : [process.execPath, app.getAppPath()];
    const plan = autostartPlan({ platform: process.platform, enabled, command });
    try {
      if (plan.kind === 'login-item') app.setLoginItemSettings({ openAtLogin: plan.openAtLogin, args: plan.args });
      else if (plan.text === null) rmSync(plan.path, { force: true });
      else {
        mkdirSync(path.dirname(plan.path), { recursive: true });
        writeFileSync(plan.path, plan.text, { mode: 0o644 });
      }
    } catch (error) {
      core.bus.emit('log', { at: new Date().toISOString(), level: 'warn', source: 'app', message: `Could not ${enabled ? 'set up' : 'remove'} start at login: ${(error as Error).message}` });
    }
  };
  let startAtLogin = core.store.getSettings().startAtLogin;
  if (startAtLogin) applyAutostart(true);

  const unsubscribe = core.bus.subscribe((name, payload) => {
    activity.onEvent(name, payload);
    if (name === 'notification') showNotification(payload as AppNotification);
    if (name === 'settingsChanged') {
      const settings = payload as { schedulesPaused: boolean; startAtLogin: boolean };
      updateMenu();
      scheduleTrayUpdate();
      if (settings.startAtLogin !== startAtLogin) {
        startAtLogin = settings.startAtLogin;
        applyAutostart(startAtLogin);
      }
    }
  });

  // ---- close to tray -----------------------------------------------------------------------------------------
  app.on('before-quit', () => {
    quitting = true;
  });
  const watchWindow = (window: BrowserWindow) => {
    window.on('close', (event) => {
      if (onWindowClose({ closeToTray: core.store.getSettings().closeToTray, trayAvailable: tray !== null, quitting }).action === 'hide') {
        event.preventDefault();
        window.hide();
      }
    });
  };
  watchWindow(options.window());
  app.on('browser-window-created', (_event, window) => watchWindow(window));

  return {
    showWindow,
    trayAvailable: () => tray !== null,
    dispose: () => {
      unsubscribe();
      stopNotifications();
      if (trayTimer) clearTimeout(trayTimer);
      tray?.destroy();
      tray = null;
    },
  };
}

/** For main.ts's window-all-closed: quit unless the tray keeps the app (and its schedules) running. */
export function quitWhenAllClosed(core: Core, shell: DesktopShell | null): boolean {
  return shouldQuitWhenAllClosed({ platform: process.platform, closeToTray: core.store.getSettings().closeToTray, trayAvailable: shell?.trayAvailable() ?? false });
}
