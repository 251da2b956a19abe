import { z } from 'zod';
import { isVerbName, verbs, type VerbName, type VerbParsedRequest, type VerbResponse } from '../../../shared/contract.ts';
import { fail, ok, toAppError, type Result } from '../../../shared/result.ts';

export type Handlers = {
  [K in VerbName]: (request: VerbParsedRequest<K>) => Promise<VerbResponse<K>> | VerbResponse<K>;
};

/**
 * The single entry point every transport calls: validates the verb name and the request against the contract,
 * runs the handler, checks the response, and turns anything thrown into a Result with a code. It never throws:
 * validation itself can (a schema check that builds a regular expression from the input may fail with "Regular
 * expression too large"), so it runs inside the same guard as the handler.
 */
export async function dispatch(handlers: Handlers, verb: unknown, rawRequest: unknown): Promise<Result<unknown>> {
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
      return fail('INVALID_REQUEST', z.prettifyError(parsed.error), 'Correct the highlighted values and try again.');
    }
    const handler = handlers[verb] as (request: unknown) => unknown;
    const value = await handler(parsed.data);
    const checked = spec.response.safeParse(value);
    if (!checked.success) {
      return fail('INTERNAL', `The "${verb}" operation returned malformed data: ${z.prettifyError(checked.error)}`, 'This is a bug; please report it.');
    }
    return ok(checked.data);
  } catch (error) {
    return { ok: false, error: appErrorOf(error) };
  }
}

function appErrorOf(error: unknown): ReturnType<typeof toAppError> {
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
