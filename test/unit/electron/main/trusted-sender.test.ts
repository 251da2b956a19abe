import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTrustedSenderUrl } from '../../../../electron/main/trusted-sender.ts';

const packaged = { indexFile: '/opt/ZFS Replication Desktop/resources/app.asar/.vite/renderer/main_window/index.html' };
const dev = { devServerUrl: 'http://localhost:5173', indexFile: '/unused' };

describe('isTrustedSenderUrl', () => {
  it('accepts our packaged index.html, spaces in the path included', () => {
    expect(isTrustedSenderUrl('file:///opt/ZFS%20Replication%20Desktop/resources/app.asar/.vite/renderer/main_window/index.html', true, packaged)).toBe(true);
  });
  it('refuses another local file, a web page and iframes', () => {
    expect(isTrustedSenderUrl('file:///tmp/evil.html', true, packaged)).toBe(false);
    expect(isTrustedSenderUrl('https://example.com/', true, packaged)).toBe(false);
    expect(isTrustedSenderUrl('file:///opt/ZFS%20Replication%20Desktop/resources/app.asar/.vite/renderer/main_window/index.html', false, packaged)).toBe(false);
    expect(isTrustedSenderUrl('not a url', true, packaged)).toBe(false);
  });
  it('in development accepts only the dev server origin', () => {
    expect(isTrustedSenderUrl('http://localhost:5173/index.html', true, dev)).toBe(true);
    expect(isTrustedSenderUrl('http://localhost:5174/', true, dev)).toBe(false);
    expect(isTrustedSenderUrl('file:///unused', true, dev)).toBe(false);
  });
});

describe('isTrustedSenderUrl on Windows (path.win32)', () => {
  const windows = { indexFile: 'C:\\Program Files\\ZFS Replication Desktop\\resources\\app.asar\\.vite\\renderer\\main_window\\index.html' };
  const ours = 'file:///C:/Program%20Files/ZFS%20Replication%20Desktop/resources/app.asar/.vite/renderer/main_window/index.html';

  it('accepts our index.html as Electron reports it (file:///C:/…), whatever the drive letter case', () => {
    expect(isTrustedSenderUrl(ours, true, windows, path.win32)).toBe(true);
    expect(isTrustedSenderUrl(ours.replace('file:///C:', 'file:///c:'), true, windows, path.win32)).toBe(true);
    expect(isTrustedSenderUrl(ours, true, { indexFile: 'C:/Program Files/ZFS Replication Desktop/resources/app.asar/.vite/renderer/main_window/index.html' }, path.win32)).toBe(true);
  });

  it('refuses another file, another drive, a share, an encoded separator and iframes', () => {
    expect(isTrustedSenderUrl('file:///C:/Users/me/Downloads/index.html', true, windows, path.win32)).toBe(false);
    expect(isTrustedSenderUrl(ours.replace('file:///C:', 'file:///D:'), true, windows, path.win32)).toBe(false);
    expect(isTrustedSenderUrl(ours.replace('file:///C:', 'file://evil-server/share'), true, windows, path.win32)).toBe(false);
    expect(isTrustedSenderUrl(ours.replace('main_window/index.html', 'main_window%5C..%5Cindex.html'), true, windows, path.win32)).toBe(false);
    expect(isTrustedSenderUrl(ours, false, windows, path.win32)).toBe(false);
  });

  it('on POSIX refuses a file URL with a host', () => {
    expect(isTrustedSenderUrl('file://evil/opt/ZFS%20Replication%20Desktop/resources/app.asar/.vite/renderer/main_window/index.html', true, packaged, path.posix)).toBe(false);
  });
});
