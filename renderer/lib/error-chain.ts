import type { AppError } from '../../shared/result.ts';
import type { FieldIssue } from '../../shared/validation-messages.ts';

// The one error path of the renderer, after GitHub Desktop's dispatcher (app/src/ui/dispatcher/error-handlers.ts):
// every failed request goes through a chain of handlers. Each handler looks at the error's code (and the context
// the caller gave) and either handles it — opens the fingerprint dialog, marks form fields, shows the offline bar —
// and returns null, or passes it on (possibly rewritten) to the next one. The last handler shows a generic error
// with the hint and a "copy details" button, so no error is ever dropped.
//
// Handlers are registered by the app at start (renderer/app/error-handlers.ts), in order: the toolkit's generic
// ones and each feature's own. A feature never calls another feature's dialog directly; it reports the error.

/** What the caller knows about the failed request; handlers use what they need and ignore the rest. */
export interface ErrorContext {
  /** What the admin was doing, as a title: "Save the connection", "Load pools of nas-a". */
  action?: string;
  /** The contract verb that failed. */
  verb?: string;
  /** The NAS the request was about, when there is one (host-key, login and sudo handlers need it). */
  connectionId?: string;
  /**
   * A form that can show the problems at its fields. Returns true when it placed at least one issue; issues it does
   * not know go on to the next handler.
   */
  setFieldErrors?: (issues: FieldIssue[]) => boolean;
  /** Runs the same request again, e.g. after the admin confirmed a host key or installed the key. */
  retry?: () => void;
  /** Runs the request again with the confirmation digest the admin accepted (CONFIRMATION_REQUIRED). */
  confirm?: (confirmation: string) => void;
}

/** null: handled. An AppError: not mine, pass this on. */
export type ErrorHandler = (error: AppError, context: ErrorContext) => AppError | null | Promise<AppError | null>;

export interface NamedErrorHandler {
  /** For the README and for tests: which handler took an error. */
  name: string;
  handle: ErrorHandler;
}

export class ErrorChain {
  #handlers: NamedErrorHandler[] = [];

  /** Replaces the chain (the app calls this once at start; tests call it with their own handlers). */
  set(handlers: NamedErrorHandler[]): void {
    this.#handlers = [...handlers];
  }

  get names(): string[] {
    return this.#handlers.map((h) => h.name);
  }

  /** Runs the chain; resolves to the name of the handler that took the error, or null if none did. */
  async report(error: AppError, context: ErrorContext = {}): Promise<string | null> {
    let current: AppError = error;
    for (const handler of this.#handlers) {
      let next: AppError | null;
      try {
        next = await handler.handle(current, context);
      } catch (thrown) {
        // A broken handler must not swallow the error it was given: the next one gets it.
        console.warn(`error handler ${handler.name} failed`, thrown);
        next = current;
      }
      if (next === null) return handler.name;
      current = next;
    }
    return null;
  }
}

/** The app's chain. */
export const errorChain = new ErrorChain();

/** Reports a failed request through the app's chain (fire and forget: handlers open dialogs, they return nothing). */
export function reportError(error: AppError, context: ErrorContext = {}): void {
  void errorChain.report(error, context);
}

/** Passes everything except the given codes. */
export function forCodes(codes: readonly AppError['code'][], handle: ErrorHandler): ErrorHandler {
  return (error, context) => (codes.includes(error.code) ? handle(error, context) : error);
}

/**
 * Validation problems as field issues: the typed `details.issues` when the main process sends them, otherwise the
 * lines of zod's pretty text ("✖ message\n  → at port").
 */
export function fieldIssuesOfError(error: AppError): FieldIssue[] {
  // Checked item by item: the error may come from an older main process or a hand-built Result.
  const issues: unknown = error.code === 'INVALID_REQUEST' ? error.details?.issues : undefined;
  if (Array.isArray(issues)) {
    return issues.flatMap((issue: unknown) => {
      if (typeof issue !== 'object' || issue === null) return [];
      const { path, message } = issue as { path?: unknown; message?: unknown };
      if (typeof message !== 'string') return [];
      const parts = Array.isArray(path) ? path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number') : [];
      return [{ path: parts, message }];
    });
  }
  const found: FieldIssue[] = [];
  const pattern = /✖ ([^\n]+)(?:\n\s*→ at ([^\n]+))?/g;
  for (const match of error.message.matchAll(pattern)) {
    const message = match[1]?.trim() ?? '';
    const at = match[2]?.trim();
    found.push({ path: at ? at.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [], message });
  }
  return found;
}

/** Everything an admin (or a bug report) needs about an error, as text for the clipboard. */
export function errorDetailsText(error: AppError, context: ErrorContext = {}): string {
  const lines = [`${error.code}: ${error.message}`];
  if (error.hint) lines.push(`What to do: ${error.hint}`);
  if (context.action) lines.push(`While: ${context.action}`);
  if (context.verb) lines.push(`Operation: ${context.verb}`);
  if (error.details && Object.keys(error.details).length > 0) lines.push(`Details: ${JSON.stringify(error.details, null, 2)}`);
  return lines.join('\n');
}
