import { useId } from 'react';
import { keepRules, lifetimeUnits, RetentionPolicySchema, type RetentionPolicy } from '../../../shared/retention.ts';

// The policy, editable inline: a lifetime (forever, or N hours…years) or a keep grid (last, hourly, daily, weekly,
// monthly, yearly). Every change goes to the review at once (the effect is live); the schema's own sentence says
// what is wrong with an impossible value.

export type PolicyDraft = { kind: 'forever' } | { kind: 'same-as-source' } | { kind: 'custom'; amount: string; unit: (typeof lifetimeUnits)[number] } | ({ kind: 'grid' } & Record<(typeof keepRules)[number], string>);

export function draftOf(policy: RetentionPolicy): PolicyDraft {
  if (policy.kind === 'custom') return { kind: 'custom', amount: String(policy.amount), unit: policy.unit };
  if (policy.kind === 'grid') return { kind: 'grid', last: String(policy.last), hourly: String(policy.hourly), daily: String(policy.daily), weekly: String(policy.weekly), monthly: String(policy.monthly), yearly: String(policy.yearly) };
  return policy;
}

/** The policy a draft means, or the sentence saying why it is not one. */
export function policyOf(draft: PolicyDraft): { policy: RetentionPolicy } | { error: string } {
  const num = (text: string) => (text.trim() === '' ? Number.NaN : Number(text));
  const candidate =
    draft.kind === 'custom'
      ? { kind: 'custom', amount: num(draft.amount), unit: draft.unit }
      : draft.kind === 'grid'
        ? { kind: 'grid', ...Object.fromEntries(keepRules.map((r) => [r, num(draft[r])])) }
        : draft;
  const parsed = RetentionPolicySchema.safeParse(candidate);
  if (parsed.success) return { policy: parsed.data };
  const issue = parsed.error.issues[0];
  return { error: issue?.code === 'invalid_type' ? 'Enter a whole number (digits only).' : (issue?.message ?? 'This policy is not valid.') };
}

const ruleLabels: Record<(typeof keepRules)[number], string> = { last: 'Last', hourly: 'Hourly', daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly', yearly: 'Yearly' };

/**
 * `replica`: a replication task's destination policy, which may also be "same as the source" (a snapshot goes once the
 * source no longer has it); a periodic task's shows that as keep forever (it prunes nothing on a source).
 */
export function PolicyEditor({ draft, onChange, error, legend = 'Policy', replica = false }: { draft: PolicyDraft; onChange(draft: PolicyDraft): void; error: string | null; legend?: string; replica?: boolean }) {
  // The selects are named by their label alone (for=/id): a <label> wrapping a <select> makes its name "Kind Keep
  // forever Lifetime Keep grid (last, hourly, daily…)" — every option read out, and "Hourly" matched it.
  const id = useId();
  return (
    <fieldset className="policy-editor" data-testid="policy-editor">
      <legend>{legend}</legend>
      <div className="input-row">
        <div className="field">
          <label className="field-label" htmlFor={`${id}-kind`}>
            Kind
          </label>
          <select
            id={`${id}-kind`}
            className="input"
            value={draft.kind === 'same-as-source' && !replica ? 'forever' : draft.kind}
            onChange={(event) => {
              const kind = event.target.value;
              onChange(
                kind === 'custom'
                  ? { kind: 'custom', amount: '2', unit: 'weeks' }
                  : kind === 'grid'
                    ? { kind: 'grid', last: '0', hourly: '24', daily: '7', weekly: '4', monthly: '6', yearly: '0' }
                    : kind === 'same-as-source'
                      ? { kind: 'same-as-source' }
                      : { kind: 'forever' },
              );
            }}
          >
            {replica ? <option value="same-as-source">Same as the source</option> : null}
            <option value="forever">Keep forever</option>
            <option value="custom">Lifetime</option>
            <option value="grid">Keep grid (last, hourly, daily…)</option>
          </select>
        </div>
        {draft.kind === 'custom' ? (
          <>
            <label className="field">
              <span className="field-label">Keep for</span>
              <input className="input input-number" inputMode="numeric" value={draft.amount} onChange={(e) => onChange({ ...draft, amount: e.target.value })} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
            </label>
            <div className="field">
              <label className="field-label" htmlFor={`${id}-unit`}>
                Unit
              </label>
              <select id={`${id}-unit`} className="input" value={draft.unit} onChange={(e) => onChange({ ...draft, unit: e.target.value as typeof draft.unit })}>
                {lifetimeUnits.map((u) => (
                  <option key={u} value={u}>
                    {u}
                  </option>
                ))}
              </select>
            </div>
          </>
        ) : null}
        {draft.kind === 'grid'
          ? keepRules.map((rule) => (
              <label className="field" key={rule}>
                <span className="field-label">{ruleLabels[rule]}</span>
                <input className="input input-number" inputMode="numeric" value={draft[rule]} onChange={(e) => onChange({ ...draft, [rule]: e.target.value })} aria-invalid={error ? true : undefined} aria-describedby={error ? `${id}-error` : undefined} />
              </label>
            ))
          : null}
      </div>
      {error ? (
        <p className="field-error" role="alert" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
