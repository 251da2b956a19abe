import { z } from 'zod';
import { isVerbName, verbs, type VerbName, type VerbParsedRequest, type VerbResponse } from '../../../shared/contract.ts';
import { fail, ok, toAppError, type Result } from '../../../shared/result.ts';

export type Handlers = {
  [K in VerbName]: (request: VerbParsedRequest<K>) => Promise<VerbResponse<K>> | VerbResponse<K>;
};

/**
 * The single entry point every transport calls: validates the verb name and the request against the contract,
 * runs the handler, checks the response, and turns anything thrown into a Result with a code.
 */
export async function dispatch(handlers: Handlers, verb: unknown, rawRequest: unknown): Promise<Result<unknown>> {
  if (!isVerbName(verb)) {
    return fail('UNKNOWN_VERB', `There is no operation called "${String(verb)}".`, 'The app and its backend are out of step: restart the app.');
  }
  const spec = verbs[verb];
  const parsed = spec.request.safeParse(rawRequest ?? {});
  if (!parsed.success) {
    return fail('INVALID_REQUEST', z.prettifyError(parsed.error), 'Correct the highlighted values and try again.');
  }
  try {
    const handler = handlers[verb] as (request: unknown) => unknown;
    const value = await handler(parsed.data);
    const checked = spec.response.safeParse(value);
    if (!checked.success) {
      return fail('INTERNAL', `The "${verb}" operation returned malformed data: ${z.prettifyError(checked.error)}`, 'This is a bug; please report it.');
    }
    return ok(checked.data);
  } catch (error) {
    return { ok: false, error: toAppError(error) };
  }
}
