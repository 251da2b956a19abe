import { RE2JS } from 're2js';
import { AppFailure } from './result.ts';
import { controlCharacterProblem, quoteName } from './zfs-names.ts';

// A task's "regex" snapshot selection runs on every snapshot name a NAS lists, so it runs on RE2 (re2js, a pure
// JavaScript port of Go's regexp): matching is linear in the name's length whatever the pattern, where JavaScript's
// backtracking RegExp takes exponential time on patterns like ^(a+)+$ (measured: 1.7 s for a 26-character name,
// doubling with each character, all of it on the main process). RE2 has no back-references and no look-around;
// everything else an admin writes for snapshot names (classes, anchors, alternation, repeats) means the same.

/** Longer patterns are refused before they are compiled (RE2 also bounds nested repeats itself). */
export const maxSelectionRegexLength = 1000;

function compile(pattern: string): RE2JS {
  return RE2JS.compile(pattern);
}

/** What is wrong with `pattern` as a snapshot-selection regex, as a sentence; null when it is usable. Never throws. */
export function selectionRegexProblem(pattern: string): string | null {
  if (pattern.length === 0) return 'Enter a regular expression, e.g. ^auto-.';
  if (pattern.length > maxSelectionRegexLength) {
    return `The regular expression is ${pattern.length} characters long; at most ${maxSelectionRegexLength} are allowed.`;
  }
  const control = controlCharacterProblem(pattern);
  if (control !== null) return `The regular expression ${quoteName(pattern)} ${control}.`;
  try {
    compile(pattern);
    return null;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return `Not a valid regular expression (RE2 syntax: no back-references or look-around): ${why}.`;
  }
}

/**
 * The test a selection regex makes of a snapshot name: true when the pattern matches anywhere in the name (as
 * RegExp.test does; anchor it with ^ and $ for whole names). Throws INVALID_REQUEST for an unusable pattern.
 */
export function compileSelectionRegex(pattern: string): (name: string) => boolean {
  const problem = selectionRegexProblem(pattern);
  if (problem !== null) throw new AppFailure('INVALID_REQUEST', problem, "Correct the task's snapshot selection.", { field: 'selection.pattern', value: pattern });
  const regex = compile(pattern);
  return (name) => regex.test(name);
}
