import { z } from 'zod';
import { isVerbName, verbs, type VerbName, type VerbParsedRequest, type VerbResponse } from '../../../shared/contract.ts';
import type { EventClient } from '../events/event-hub.ts';
import { AppErrorSchema, AppFailure, fail, ok, toAppError, type AppError, type FieldIssue, type Result } from '../../../shared/result.ts';

/** Who calls: the transport client (a window, a bridge WebSocket) whose events subscriptions apply to; null for the CLI. */
export interface Caller {
  client: EventClient | null;
}

export const noCaller: Caller = { client: null };

export type Handlers = {
  [K in VerbName]: (request: VerbParsedRequest<K>, caller: Caller) => Promise<VerbResponse<K>> | VerbResponse<K>;
};

/** zod's issues as the contract's field issues: the path the UI marks, in plain words. */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'), message: issue.message }));
}

/** One sentence naming every field at fault, e.g. "port: Too big: expected number to be <=65535". */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Listings longer than this are checked by a sample of their rows (see checkResponse). */
export const sampledListingRows = 2000;
const sampleSize = 500;

/**
 * The contract's check of a handler's answer. A long listing (a NAS's 100,000 snapshots) is checked on an even
 * sample of its rows plus the last one, and sent as it is: its rows come from the zfs layer's typed parsers (a type
 * test proves they are the contract's types), so the check guards against a bug, not against input, and checking
 * (and copying) every row measured 0.3-0.7 of the handler's own time (bench/list-snapshots.bench.ts).
 */
export function checkResponse(schema: z.ZodType, value: unknown): { success: true; data: unknown } | { success: false; error: z.ZodError } {
  if (Array.isArray(value) && value.length > sampledListingRows && schema instanceof z.ZodArray) {
    const element = schema.element as z.ZodType;
    const step = Math.ceil(value.length / sampleSize);
    for (let i = 0; i < value.length; i += step) {
      const row = element.safeParse(value[i]);
      if (!row.success) return row;
    }
    const last = element.safeParse(value[value.length - 1]);
    return last.success ? { success: true, data: value } : last;
  }
  return schema.safeParse(value);
}

/**
 * Errors cross as their code's schema says (unknown detail keys dropped). An error whose details do not match is a bug in the service that built it: the admin still
 * gets its message and hint, without the malformed details (the UI reads details by their typed shape).
 */
function conforming(error: AppError): AppError {
  const checked = AppErrorSchema.safeParse(error);
  if (checked.success) return checked.data;
  const { details: _dropped, ...rest } = error as AppError & { details?: unknown };
  return rest as AppError;
}

/**
 * The single entry point every transport calls: validates the verb name and the request against the contract,
 * runs the handler, checks the response, and turns anything thrown into a Result with a code. It never throws:
 * validation itself can (a schema check that builds a regular expression from the input may fail with "Regular
 * expression too large"), so it runs inside the same guard as the handler.
 */
export async function dispatch(
  handlers: Handlers,
  verb: unknown,
  rawRequest: unknown,
  caller: Caller = noCaller,
  /** A bug surfaced (a throw that is not an AppFailure, a malformed response): for the app log, with its stack. */
  onUnexpected?: (where: string, error: unknown) => void,
): Promise<Result<unknown>> {
  try {
    if (!isVerbName(verb)) {
      return fail('UNKNOWN_VERB', `There is no operation called "${describe(verb)}".`, 'The app and its backend are out of step: restart the app.');
    }
    const spec = verbs[verb];
    let parsed: ReturnType<typeof spec.request.safeParse>;
    try {
      parsed = spec.request.safeParse(rawRequest ?? {});
    } catch (error) {
      // The input is what made the check fail: say so, rather than report a bug.
      return fail(
        'INVALID_REQUEST',
        `The values could not be checked: ${appErrorOf(error).message.replace(/^Unexpected error: /, '').slice(0, 200)}`,
        'A value is far longer or more complex than it can be (a large paste?): shorten it and try again.',
      );
    }
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error);
      return fail('INVALID_REQUEST', describeIssues(issues), 'Correct the highlighted values and try again.', { issues });
    }
    const handler = handlers[verb] as (request: unknown, caller: Caller) => unknown;
    const value = await handler(parsed.data, caller);
    const checked = checkResponse(spec.response, value);
    if (!checked.success) {
      onUnexpected?.(`response of ${verb}`, checked.error);
      return fail('INTERNAL', `The "${verb}" operation returned malformed data: ${z.prettifyError(checked.error)}`, 'This is a bug; please report it.');
    }
    return ok(checked.data);
  } catch (error) {
    if (!(error instanceof AppFailure)) onUnexpected?.(describe(verb), error);
    const appError = appErrorOf(error);
    const checked = conforming(appError);
    if ('details' in appError && !('details' in checked)) onUnexpected?.(`details of ${appError.code} from ${describe(verb)}`, new Error(JSON.stringify(appError.details)));
    return { ok: false, error: checked };
  }
}

function appErrorOf(error: unknown): AppError {
  try {
    return toAppError(error);
  } catch {
    // Something thrown that cannot even be turned into text (an object without a prototype).
    return toAppError(new Error('a value that is not an error was thrown'));
  }
}

/** A verb name for a message: whatever was sent, never more than a line of it. */
function describe(verb: unknown): string {
  let text: string;
  try {
    text = typeof verb === 'string' ? verb : (JSON.stringify(verb) ?? String(verb));
  } catch {
    text = typeof verb;
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
