import { createHash, randomBytes } from 'node:crypto';

// One-time codes that open the browser-mode app. The bridge's token is the key to every verb, so it never goes
// where another local user could read it (a command line, a file in a shared folder). What goes into an address
// instead is a code that the page trades for the token once, within a few minutes: whoever sees a used or expired
// code holds nothing.

interface PendingCode {
  expiresAt: number;
  /** Runs once, when the code is redeemed or expires (e.g. removes the launcher file that carried it). */
  settled?: () => void;
}

const digest = (code: string) => createHash('sha256').update(code).digest('hex');

export class LaunchCodes {
  // Keyed by the code's hash, so a lookup's timing says nothing about a valid code.
  #pending = new Map<string, PendingCode>();
  #timers = new Set<NodeJS.Timeout>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** A fresh code, valid once within ttlMs. */
  issue(settled?: () => void): string {
    const code = randomBytes(32).toString('base64url');
    const key = digest(code);
    this.#pending.set(key, { expiresAt: this.#now() + this.#ttlMs, ...(settled ? { settled } : {}) });
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#settle(key);
    }, this.#ttlMs);
    timer.unref();
    this.#timers.add(timer);
    return code;
  }

  /** True once for a code issued here and not yet expired; false for anything else. */
  redeem(code: unknown): boolean {
    if (typeof code !== 'string' || code.length === 0 || code.length > 256) return false;
    const key = digest(code);
    const pending = this.#pending.get(key);
    if (!pending) return false;
    this.#settle(key);
    return this.#now() < pending.expiresAt;
  }

  /** Forgets every code (and runs their clean-ups): the bridge is closing. */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const key of [...this.#pending.keys()]) this.#settle(key);
  }

  #settle(key: string): void {
    const pending = this.#pending.get(key);
    if (!pending) return;
    this.#pending.delete(key);
    try {
      pending.settled?.();
    } catch {
      // A clean-up that fails (a launcher file already gone) must not fail the redemption.
    }
  }
}
