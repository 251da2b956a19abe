import { createHash } from 'node:crypto';

/**
 * The digest a confirmation carries: it covers exactly this list, in this order. Every guarded operation (the
 * engine's refusals, repair, destroy, rollback) hands it out with CONFIRMATION_REQUIRED and proceeds only when
 * the same digest comes back.
 */
export function confirmationDigest(items: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(items)).digest('hex').slice(0, 16);
}
