import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl } from '../../../../electron/main/external-links.ts';
import { isPermissionGranted } from '../../../../electron/main/permissions.ts';

const renderer = { indexFile: '/opt/zrd/resources/app.asar/.vite/renderer/main_window/index.html' };
const ours = 'file:///opt/zrd/resources/app.asar/.vite/renderer/main_window/index.html';

describe('isPermissionGranted (both the request and the check handler)', () => {
  it('grants our page plain-text clipboard writes, nothing else', () => {
    expect(isPermissionGranted('clipboard-sanitized-write', ours, true, renderer)).toBe(true);
    for (const permission of ['clipboard-read', 'media', 'notifications', 'geolocation', 'openExternal', 'hid', 'serial', 'usb', 'fullscreen', 'unknown']) {
      expect(isPermissionGranted(permission, ours, true, renderer), permission).toBe(false);
    }
  });

  it('refuses even that to an iframe, another page, or a request with no URL', () => {
    expect(isPermissionGranted('clipboard-sanitized-write', ours, false, renderer)).toBe(false);
    expect(isPermissionGranted('clipboard-sanitized-write', 'https://example.com/', true, renderer)).toBe(false);
    expect(isPermissionGranted('clipboard-sanitized-write', 'file:///tmp/index.html', true, renderer)).toBe(false);
    expect(isPermissionGranted('clipboard-sanitized-write', undefined, true, renderer)).toBe(false);
  });
});

describe('isAllowedExternalUrl (shell.openExternal)', () => {
  it('opens the documentation sites on the allowlist', () => {
    expect(isAllowedExternalUrl('https://openzfs.github.io/openzfs-docs/man/master/8/zfs-send.8.html')).toBe(true);
    expect(isAllowedExternalUrl('https://www.truenas.com/docs/scale/dataprotection/replication/')).toBe(true);
  });

  it('refuses anything else, including look-alikes', () => {
    for (const url of [
      'https://example.com/',
      'http://openzfs.github.io/openzfs-docs/',
      'https://openzfs.github.io/other-project/',
      'https://openzfs.github.io.evil.example/openzfs-docs/',
      'https://user:pass@www.truenas.com/docs/',
      'https://www.truenas.com:8443/docs/',
      'https://www.truenas.com/community/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-settings:',
      'smb://nas/share',
      'not a url',
      '',
    ]) {
      expect(isAllowedExternalUrl(url), url).toBe(false);
    }
  });
});
