import { isTrustedSenderUrl, type RendererLocation } from './trusted-sender.ts';

// Which web permissions our own page gets: only writing plain text to the clipboard (the key setup and
// `zfs allow` screens copy commands and keys), and only for the app's top frame. Everything else (camera,
// notifications from the web API, geolocation, reading the clipboard, MIDI, HID…) is refused, whether Chromium
// asks (request handler) or merely checks (check handler).

const grantedPermissions = new Set(['clipboard-sanitized-write']);

export function isPermissionGranted(permission: string, requestingUrl: string | undefined, isMainFrame: boolean, renderer: RendererLocation): boolean {
  return grantedPermissions.has(permission) && requestingUrl !== undefined && isTrustedSenderUrl(requestingUrl, isMainFrame, renderer);
}
