import { decideRetention, summarizeRetention, type RetentionPolicyInput } from '../../../shared/retention.ts';
import { namingSchema } from '../../../shared/naming-schema.ts';
import { checkNamingSchema } from '../../../shared/naming-schema.ts';
import { compileSelectionRegex, selectionRegexProblem } from '../../../shared/selection-regex.ts';
import { formatInZone } from '../../../shared/time-zone.ts';

// What the wizard shows live while the admin types: how many of the source's snapshots the selection matches (with
// the newest and the oldest), and what the destination lifetime would do to today's snapshots. Pure functions over
// the source's listing, computed with the same shared code the engine uses (naming schemas, RE2, retention).

export interface SourceSnapshot {
  /** The part after "@". */
  shortName: string;
  dataset: string;
  /** Unix seconds. */
  creation: number;
  createtxg: number;
  usedBytes: number | null;
  type: 'snapshot' | 'bookmark';
}

export type SelectionInput = { kind: 'naming-schema'; schemas: readonly string[]; timeZone: string } | { kind: 'regex'; pattern: string } | { kind: 'all' };

export interface SelectionMatch {
  /** Snapshots (not bookmarks) on the source. */
  total: number;
  matched: number;
  newest: SourceSnapshot | null;
  oldest: SourceSnapshot | null;
  /** Why the selection cannot be evaluated (an invalid schema or regex); null when it can. */
  problem: string | null;
}

/** The test a selection makes of a snapshot's short name, or the reason it cannot make one. */
export function selectionMatcher(selection: SelectionInput): { test: (shortName: string) => boolean } | { problem: string } {
  if (selection.kind === 'all') return { test: () => true };
  if (selection.kind === 'regex') {
    const problem = selectionRegexProblem(selection.pattern);
    return problem ? { problem } : { test: compileSelectionRegex(selection.pattern) };
  }
  if (selection.schemas.length === 0) return { problem: 'No naming schema chosen yet.' };
  for (const pattern of selection.schemas) {
    const issue = checkNamingSchema(pattern)[0];
    if (issue) return { problem: issue.message };
  }
  const schemas = selection.schemas.map((pattern) => namingSchema(pattern, selection.timeZone));
  return { test: (name) => schemas.some((s) => s.matches(name)) };
}

export function matchSnapshots(snapshots: readonly SourceSnapshot[], selection: SelectionInput): SelectionMatch {
  const real = snapshots.filter((s) => s.type === 'snapshot');
  const matcher = selectionMatcher(selection);
  if ('problem' in matcher) return { total: real.length, matched: 0, newest: null, oldest: null, problem: matcher.problem };
  let matched = 0;
  let newest: SourceSnapshot | null = null;
  let oldest: SourceSnapshot | null = null;
  for (const snapshot of real) {
    if (!matcher.test(snapshot.shortName)) continue;
    matched++;
    if (!newest || snapshot.createtxg > newest.createtxg) newest = snapshot;
    if (!oldest || snapshot.createtxg < oldest.createtxg) oldest = snapshot;
  }
  return { total: real.length, matched, newest, oldest, problem: null };
}

/** "24 of 30 snapshots match: newest auto-2026-12-01_18-00 (…), oldest …". */
export function describeMatch(match: SelectionMatch, timeZone: string): string {
  if (match.problem) return match.problem;
  if (match.total === 0) return 'The source has no snapshots yet.';
  if (match.matched === 0) return `None of the ${match.total} snapshots on the source match.`;
  const when = (s: SourceSnapshot) => formatInZone(s.creation * 1000, timeZone);
  const range = match.matched === 1 ? `: ${match.newest!.shortName} (${when(match.newest!)})` : `: newest ${match.newest!.shortName} (${when(match.newest!)}), oldest ${match.oldest!.shortName} (${when(match.oldest!)})`;
  return `${match.matched} of ${match.total} snapshots match${range}.`;
}

/**
 * The one-line preview of a destination lifetime: what it would keep and prune if today's matching source snapshots
 * were on the destination. Only naming-schema selections carry times in their names; anything else is never pruned.
 */
export function lifetimePreview(
  snapshots: readonly SourceSnapshot[],
  selection: SelectionInput,
  policy: RetentionPolicyInput,
  now: number,
): string {
  if (policy.kind === 'forever') return 'Nothing is ever deleted on the destination: it keeps every snapshot it receives.';
  if (selection.kind !== 'naming-schema') return 'With a regex or "all" selection the names carry no time: nothing on the destination is pruned by age.';
  const matcher = selectionMatcher(selection);
  if ('problem' in matcher) return 'Fix the naming schema to see the effect.';
  const matching = snapshots.filter((s) => s.type === 'snapshot' && matcher.test(s.shortName)).sort((a, b) => a.createtxg - b.createtxg);
  if (matching.length === 0) return policy.kind === 'same-as-source' ? 'A snapshot goes from the destination once the source no longer has it.' : 'No matching snapshot on the source yet to preview with.';
  if (policy.kind === 'same-as-source') {
    return `Today all ${matching.length} matching snapshots are on the source, so the destination would keep all ${matching.length}; each goes from the destination once the source prunes it.`;
  }
  try {
    const decisions = decideRetention({
      snapshots: matching.map((s) => ({ name: s.shortName, usedBytes: s.usedBytes })),
      policy,
      namingSchemas: [...selection.schemas],
      timeZone: selection.timeZone,
      now,
      sourceNames: matching.map((s) => s.shortName),
    });
    const summary = summarizeRetention(decisions);
    const kept = summary.oldestKept ? `; the oldest kept would be ${summary.oldestKept.name}` : '';
    return `Of today's ${summary.total} matching snapshots, the destination would keep ${summary.keep} and prune ${summary.prune}${kept}.`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
