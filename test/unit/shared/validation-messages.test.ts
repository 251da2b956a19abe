import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { verbs } from '../../../shared/contract.ts';
import { fieldIssuesOf, formatFieldIssues, plainErrorMap } from '../../../shared/validation-messages.ts';

const connection = verbs.saveConnection.request;

function issuesOf(schema: z.ZodType, value: unknown) {
  const parsed = schema.safeParse(value, { error: plainErrorMap });
  if (parsed.success) throw new Error('expected a failure');
  return Object.fromEntries(fieldIssuesOf(parsed.error).map((i) => [i.path.join('.'), i.message]));
}

describe('plain-words validation messages', () => {
  it('turn zod jargon into sentences at the field, and keep the messages a schema spells out', () => {
    const issues = issuesOf(connection, { name: '', host: '192.0.2.10; rm -rf /', port: Number.NaN, username: '-x' });
    expect(issues).toEqual({
      name: 'Give the connection a name.',
      // The rules of shared/zfs-names.ts name the value and what is wrong with it.
      host: 'Host must be a DNS name or an IP address (letters, digits, ".", "-", ":"); "192.0.2.10; rm -rf /" contains ";".',
      port: 'Enter a number (digits only).',
      username: 'User name "-x" starts with "-"; it must start with a letter or "_".',
    });
    for (const message of Object.values(issues)) expect(message).not.toMatch(/Invalid input|expected|received/);
  });

  it('say the bounds of a number and what a missing value needs', () => {
    expect(issuesOf(connection, { name: 'a', host: 'nas', port: 70000 })).toEqual({ port: 'Use a number no larger than 65535.' });
    expect(issuesOf(connection, { name: 'a', host: 'nas', port: 0 })).toEqual({ port: 'Use a number of at least 1.' });
    expect(issuesOf(connection, { name: 'a', host: 'nas', port: 22.5 })).toEqual({ port: 'Enter a whole number.' });
    expect(issuesOf(connection, { host: 'nas' })).toEqual({ name: 'This field is required.' });
    expect(issuesOf(z.object({ a: z.string().min(3) }), { a: 'x' })).toEqual({ a: 'Use at least 3 characters.' });
    expect(issuesOf(z.object({ a: z.enum(['root', 'sudo']) }), { a: 'x' })).toEqual({ a: 'Choose one of: root, sudo.' });
    expect(issuesOf(verbs.confirmHostKey.request, { connectionId: '00000000-0000-4000-8000-000000000000', sha256: 'MD5:x' })).toEqual({ sha256: 'Must start with "SHA256:".' });
  });

  it('format issues one per line for places without a form', () => {
    expect(formatFieldIssues([{ path: ['port'], message: 'Use a number no larger than 65535.' }, { path: [], message: 'Whole value.' }])).toBe('port: Use a number no larger than 65535.\nWhole value.');
  });
});
