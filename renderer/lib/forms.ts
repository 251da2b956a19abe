import { zodResolver } from '@hookform/resolvers/zod';
import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import type { z } from 'zod';
import { plainErrorMap, type FieldIssue } from '../../shared/validation-messages.ts';

// Forms validate with the contract's own zod schemas (the main process checks the same schema again), with zod's
// messages replaced by plain sentences (shared/validation-messages.ts). Errors show at the field.

/** react-hook-form resolver for a contract schema, with plain-words messages. */
export function contractResolver<S extends z.ZodType<FieldValues, FieldValues>>(schema: S) {
  return zodResolver(schema as never, { error: plainErrorMap }) as unknown as ReturnType<typeof zodResolver<z.input<S>, unknown, z.output<S>>>;
}

/**
 * Puts the main process's validation issues on the form's fields. Returns true when at least one issue landed on a
 * known field; issues about unknown paths are left for the caller (they go on down the error chain).
 */
export function placeFieldIssues<T extends FieldValues>(issues: FieldIssue[], setError: UseFormSetError<T>, fields: readonly string[]): boolean {
  let placed = false;
  for (const issue of issues) {
    const name = issue.path.join('.');
    if (!fields.includes(name)) continue;
    setError(name as Path<T>, { type: 'server', message: issue.message }, { shouldFocus: !placed });
    placed = true;
  }
  return placed;
}
