import { createElement } from 'react';
import { toast } from 'sonner';
import type { UiCommand } from '../../../shared/desktop-events.ts';
import { NasDialog } from '../../features/fleet/NasDialog.tsx';
import { openNewTaskWizard } from '../../features/wizard/open-wizard.ts';
import { openDialog } from '../../lib/dialogs.ts';
import { onEvent } from '../../lib/event-stream.ts';
import { navigate } from '../../lib/navigation.ts';
import { useShellStore } from '../shell-store.ts';
import { exportConfigFile, pickImportFile } from './config-file.ts';
import { keyCommandOf } from './palette-items.ts';
import { usePalette } from './palette-state.ts';
import { runAllTasks } from './task-actions.ts';

// UI commands: what the menu, its shortcuts, the tray and notification clicks ask the window to do (uiCommand
// events from Electron main), and the same commands from the palette and the keyboard in browser mode. Also the
// desktop's notifications as toasts when there is no native notification (browser mode).

export async function runUiCommand(command: UiCommand): Promise<void> {
  switch (command.command) {
    case 'open-command-palette':
      usePalette.getState().show();
      return;
    case 'go-fleet':
      navigate({ view: 'fleet' });
      return;
    case 'new-task':
      openNewTaskWizard();
      return;
    case 'go-tasks':
    case 'open-task-log':
      // The task dashboard and its log view live under Tasks.
      navigate({ view: 'tasks' });
      return;
    case 'go-snapshots':
      navigate({ view: 'snapshots' });
      return;
    case 'go-schedule':
      navigate({ view: 'schedule' });
      return;
    case 'go-settings':
      navigate({ view: 'settings' });
      return;
    case 'new-connection':
      navigate({ view: 'fleet' });
      openDialog((close) => createElement(NasDialog, { connection: null, onClose: close }), { key: 'new-connection' });
      return;
    case 'export-config':
      await exportConfigFile();
      return;
    case 'import-config':
      await pickImportFile();
      return;
  }
}

/** Installs the keyboard shortcuts and the uiCommand/notification handlers; returns the uninstall function. */
export function installUiCommands(): () => void {
  const mac = /Mac/i.test(navigator.platform);
  const onKey = (event: KeyboardEvent) => {
    // In Electron the menu's accelerators catch these first and send uiCommand events; Ctrl+K also works there.
    const command = keyCommandOf(event, mac);
    if (!command) return;
    if (useShellStore.getState().version?.transport === 'electron' && command !== 'open-command-palette') return;
    event.preventDefault();
    if (command === 'run-all') void runAllTasks();
    else void runUiCommand({ command });
  };
  window.addEventListener('keydown', onKey);
  const stopCommands = onEvent('uiCommand', (command) => void runUiCommand(command));
  const stopNotifications = onEvent('notification', (notification) => {
    // Electron shows it natively; a browser window shows it here.
    if (useShellStore.getState().version?.transport === 'electron') return;
    const show = notification.level === 'error' ? toast.error : notification.level === 'warning' ? toast.warning : toast.success;
    show(notification.title, {
      id: notification.id,
      description: notification.body,
      duration: notification.level === 'success' ? 6000 : 15000,
      action: { label: 'Open log', onClick: () => void runUiCommand({ command: 'open-task-log', taskId: notification.taskId }) },
    });
  });
  return () => {
    window.removeEventListener('keydown', onKey);
    stopCommands();
    stopNotifications();
  };
}

