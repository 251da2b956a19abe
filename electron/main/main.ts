import path from 'node:path';
import { app, BrowserWindow, ipcMain, nativeTheme, safeStorage, session, shell, type WebContents, type WebFrameMain } from 'electron';
import { eventChannel, verbChannel, verbNames } from '../../shared/contract.ts';
import { fail } from '../../shared/result.ts';
import { createCore, type Core } from '../services/core.ts';
import type { EventClient } from '../services/events/event-hub.ts';
import { openAppStore, type AppStore } from '../services/store/app-store.ts';
import type { SecretSealer } from '../services/store/secrets.ts';
import { startsHidden } from '../services/desktop/desktop-lifecycle.ts';
import { quitWhenAllClosed, startDesktopShell, type DesktopShell } from './desktop.ts';
import { isAllowedExternalUrl } from './external-links.ts';
import { isPermissionGranted } from './permissions.ts';
import { isTrustedSenderUrl } from './trusted-sender.ts';

// Defined by Electron Forge's Vite plugin at build time.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

// Tests and power users point every entry point (app, CLI, bridge) at one private folder with ZRD_CONFIG_DIR.
if (process.env.ZRD_CONFIG_DIR) app.setPath('userData', path.resolve(process.env.ZRD_CONFIG_DIR));

app.enableSandbox();

const devServerUrl = typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
const rendererIndex = path.join(__dirname, '..', 'renderer', MAIN_WINDOW_VITE_NAME, 'index.html');
const renderer = { devServerUrl, indexFile: rendererIndex };

/** Only our own page may call the backend: not an iframe, not a page we were navigated to. */
function isTrustedFrame(frame: WebFrameMain | null): boolean {
  return frame !== null && isTrustedSenderUrl(frame.url, frame.parent === null, renderer);
}

/**
 * Stored secrets (task keys) sealed by the OS keychain through safeStorage. On Linux without a Secret Service or
 * KWallet, Electron falls back to a hard-coded key ("basic_text"): that seals nothing, so the 0600 secrets file is used
 * as it is instead, and says so in the README.
 */
const keychainSealer: SecretSealer = {
  available: () => safeStorage.isEncryptionAvailable() && (process.platform !== 'linux' || safeStorage.getSelectedStorageBackend() !== 'basic_text'),
  seal: (plain) => safeStorage.encryptString(plain),
  unseal: (sealed) => safeStorage.decryptString(sealed),
};

function openStore(): AppStore {
  return openAppStore(app.getPath('userData'), { sealer: keychainSealer });
}

function hardenWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Links to the documentation sites in external-links.ts open in the user's browser; nothing opens inside the app.
      if (isAllowedExternalUrl(url)) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (url !== contents.getURL()) event.preventDefault();
    });
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function createWindow(options: { show: boolean } = { show: true }): BrowserWindow {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    title: 'ZFS Replication Desktop',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  // Started at login to the tray: no window until the admin opens it.
  if (options.show) window.once('ready-to-show', () => window.show());
  if (devServerUrl) void window.loadURL(devServerUrl);
  else void window.loadFile(rendererIndex);
  return window;
}

let coreForQuit: Core | null = null;
let desktopShell: DesktopShell | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  hardenWebContents();
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
      callback(isPermissionGranted(permission, details.requestingUrl, details.isMainFrame, renderer)),
    );
    session.defaultSession.setPermissionCheckHandler((_contents, permission, _origin, details) =>
      isPermissionGranted(permission, details.requestingUrl, details.isMainFrame, renderer),
    );

    const store = openStore();
    nativeTheme.themeSource = store.getSettings().theme;
    const core = createCore({
      store,
      configDir: app.getPath('userData'),
      by: 'app',
      versions: {
        app: app.getVersion(),
        node: process.versions.node,
        electron: process.versions.electron ?? null,
        chrome: process.versions.chrome ?? null,
        platform: process.platform,
        transport: 'electron',
      },
      onSettingsChanged: (settings) => {
        nativeTheme.themeSource = settings.theme;
      },
    });

    coreForQuit = core;
    void core.scheduler.start();
    // One event client per window: app events go to every window, a run's events only to the windows that
    // subscribed to it (or to all runs), a log tail only to the window that follows it.
    const clients = new Map<number, EventClient>();
    const clientOf = (contents: WebContents): EventClient => {
      let client = clients.get(contents.id);
      if (!client) {
        const created = core.connectClient((name, payload) => {
          if (!contents.isDestroyed()) contents.send(eventChannel(name), payload);
        });
        clients.set(contents.id, created);
        contents.once('destroyed', () => {
          created.close();
          clients.delete(contents.id);
        });
        client = created;
      }
      return client;
    };
    app.on('browser-window-created', (_event, window) => void clientOf(window.webContents));
    for (const verb of verbNames) {
      ipcMain.handle(verbChannel(verb), (event, request: unknown) =>
        isTrustedFrame(event.senderFrame)
          ? core.call(verb, request, { client: clientOf(event.sender) })
          : fail('FORBIDDEN', 'This page is not allowed to control the app.', 'Only the app window itself may call the backend.'),
      );
    }

    // The tray, menu, notifications, close to tray and start at login: electron/main/desktop.ts.
    const hidden = startsHidden(process.argv, true);
    let mainWindow = createWindow({ show: !hidden });
    const currentWindow = () => {
      if (mainWindow.isDestroyed()) mainWindow = createWindow();
      return mainWindow;
    };
    desktopShell = startDesktopShell({ core, window: currentWindow, sendUi: (command) => core.bus.emit('uiCommand', command) });
    // Started hidden without a tray to open it from: show the window after all.
    if (hidden && !desktopShell.trayAvailable()) mainWindow.once('ready-to-show', () => mainWindow.show());
    // A second launch (the single-instance lock sends it here) brings this one's window forward.
    app.on('second-instance', () => desktopShell?.showWindow());
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
      else desktopShell?.showWindow();
    });
  });

  app.on('will-quit', () => {
    // Pooled SSH connections close with the app; a running transfer stops and resumes on the next run.
    desktopShell?.dispose();
    void coreForQuit?.dispose();
  });

  app.on('window-all-closed', () => {
    if (!coreForQuit || quitWhenAllClosed(coreForQuit, desktopShell)) app.quit();
  });
}
