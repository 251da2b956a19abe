import { homedir } from 'node:os';
import path from 'node:path';

// Decisions of the desktop shell that need no Electron to test: close to tray or quit, start at login (a login item
// on macOS and Windows; an XDG autostart entry on Linux), and whether a start is a hidden one (at login, to the tray).

/** The argument the login item starts the app with: it opens to the tray, without a window. */
export const hiddenStartArgument = '--hidden';

export interface CloseDecision {
  /** hide: keep running in the tray (schedules go on); close: let the window close (the app quits with its last window). */
  action: 'hide' | 'close';
}

/** Closing the window: to the tray when the admin chose it and a tray exists, unless the app is quitting. */
export function onWindowClose(options: { closeToTray: boolean; trayAvailable: boolean; quitting: boolean }): CloseDecision {
  return { action: options.closeToTray && options.trayAvailable && !options.quitting ? 'hide' : 'close' };
}

/** All windows closed: quit, except on macOS (the app stays in the dock) and when the tray keeps it running. */
export function shouldQuitWhenAllClosed(options: { platform: NodeJS.Platform; closeToTray: boolean; trayAvailable: boolean }): boolean {
  if (options.closeToTray && options.trayAvailable) return false;
  return options.platform !== 'darwin';
}

/** Start without a window: started at login with the hidden argument, and a tray to open it from. */
export function startsHidden(argv: readonly string[], trayAvailable: boolean): boolean {
  return trayAvailable && argv.includes(hiddenStartArgument);
}

export type AutostartPlan =
  /** macOS and Windows: app.setLoginItemSettings. */
  | { kind: 'login-item'; openAtLogin: boolean; args: string[] }
  /** Linux: write (text) or remove (null) the XDG autostart entry. */
  | { kind: 'desktop-entry'; path: string; text: string | null };

export function autostartEntryPath(env: NodeJS.ProcessEnv = process.env): string {
  const configHome = env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? homedir(), '.config');
  return path.join(configHome, 'autostart', 'zfs-replication-desktop.desktop');
}

/** A desktop-entry value: backslash, space, quotes and the like escaped as the Desktop Entry Specification wants. */
export function desktopExecQuote(arg: string): string {
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/[\\"`$]/g, (c) => `\\${c}`).replace(/%/g, '%%')}"`;
}

/** `command`: the executable and its arguments (the AppImage, or Electron with the app's folder in development). */
export function autostartEntryText(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=ZFS Replication Desktop',
    'Comment=Replicates ZFS snapshots on schedule (starts in the tray)',
    `Exec=${command.map(desktopExecQuote).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** What to do so the app does (or no longer does) start at login. */
export function autostartPlan(options: { platform: NodeJS.Platform; enabled: boolean; command: readonly string[]; env?: NodeJS.ProcessEnv }): AutostartPlan {
  if (options.platform === 'darwin' || options.platform === 'win32') return { kind: 'login-item', openAtLogin: options.enabled, args: [hiddenStartArgument] };
  return { kind: 'desktop-entry', path: autostartEntryPath(options.env), text: options.enabled ? autostartEntryText([...options.command, hiddenStartArgument]) : null };
}
