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
