import { bridgeSessionPath } from '../../shared/bridge-limits.ts';
import { fail, type Result } from '../../shared/result.ts';

// How a browser tab gets the loopback bridge's session token. The address the app prints (or the launcher page it
// opens Chromium on) carries a one-time code in its fragment (browsers never send a fragment to a server); the tab
// takes it out of the address bar at once and trades it at POST /session for the token, which it keeps for this
// tab only (sessionStorage is per tab and per origin: another port on 127.0.0.1 cannot read it). A program that
// started the bridge itself and holds the token (the e2e suite) may hand it over directly as #token=.

const tokenKey = 'zrd.bridge-token';

function takeFragment(): { code?: string; token?: string } {
  const code = /(?:^#|&)code=([^&]+)/.exec(window.location.hash)?.[1];
  const token = /(?:^#|&)token=([^&]+)/.exec(window.location.hash)?.[1];
  if (code || token) history.replaceState(null, '', window.location.pathname + window.location.search);
  return { ...(code ? { code: decodeURIComponent(code) } : {}), ...(token ? { token: decodeURIComponent(token) } : {}) };
}

const noToken = () =>
  fail(
    'FORBIDDEN',
    'This page was opened without its access token.',
    'Open the address the app printed when it started (each one works once; press Enter in its terminal for a new one).',
  );

async function redeem(code: string): Promise<Result<string>> {
  let response: Response;
  try {
    response = await fetch(bridgeSessionPath, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ code }),
      cache: 'no-store',
    });
  } catch {
    return fail('TRANSPORT_CLOSED', 'The app backend did not answer.', 'Make sure the app is still running, then open a new address from it.');
  }
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; message?: unknown };
  if (response.ok && typeof body.token === 'string') return { ok: true, value: body.token };
  return fail(
    'FORBIDDEN',
    typeof body.message === 'string' ? body.message : `The app refused this address (HTTP ${response.status}).`,
    'Press Enter in the terminal where the app runs for a new address, or restart the app.',
  );
}

/** The token for this tab, from its address (once) or from earlier in this tab's life; a failed Result says what to do. */
export async function bridgeSessionToken(): Promise<Result<string>> {
  const { code, token } = takeFragment();
  if (token) sessionStorage.setItem(tokenKey, token);
  else if (code) {
    const redeemed = await redeem(code);
    // A used address opened again in a tab that already has its token (a reload) still works.
    if (!redeemed.ok && !sessionStorage.getItem(tokenKey)) return redeemed;
    if (redeemed.ok) sessionStorage.setItem(tokenKey, redeemed.value);
  }
  const kept = sessionStorage.getItem(tokenKey);
  return kept ? { ok: true, value: kept } : noToken();
}
