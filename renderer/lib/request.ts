import type { VerbName, VerbRequest, VerbResponse } from '../../shared/contract.ts';
import type { Result } from '../../shared/result.ts';
import { api } from '../api.ts';
import { useConnectivity } from './connectivity.ts';
import { errorChain, type ErrorContext } from './error-chain.ts';

// How store actions call the backend: one contract verb, the Result back, and a failure reported through the
// error chain with what the caller knows (which NAS, which form, how to retry). Components never call this
// directly: they call store actions, which call this.

export interface RequestOptions extends ErrorContext {
  /**
   * The caller shows the failure itself (e.g. a fleet card says why its NAS is unreachable, a checklist marks its
   * step): the chain is skipped, except that a lost backend still shows the offline bar.
   */
  quiet?: boolean;
}

export async function request<K extends VerbName>(verb: K, payload: VerbRequest<K>, options: RequestOptions = {}): Promise<Result<VerbResponse<K>>> {
  const send = api[verb] as (payload: VerbRequest<K>) => Promise<Result<VerbResponse<K>>>;
  let result: Result<VerbResponse<K>>;
  try {
    result = await send(payload);
  } catch (thrown) {
    // The transports answer with Results; a throw is a bug in the renderer, reported like any other error.
    result = { ok: false, error: { code: 'INTERNAL', message: `The request "${verb}" failed in the app window: ${thrown instanceof Error ? thrown.message : String(thrown)}`, hint: 'This is a bug; please report it with the details.' } };
  }
  if (result.ok) {
    useConnectivity.getState().setOnline();
    return result;
  }
  const { quiet, ...context } = options;
  if (!quiet || result.error.code === 'TRANSPORT_CLOSED') void errorChain.report(result.error, { verb, ...context });
  return result;
}
