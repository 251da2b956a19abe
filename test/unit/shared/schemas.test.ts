import { describe, expect, it } from 'vitest';
import { ConnectionInputSchema } from '../../../shared/schemas.ts';
import { eventNames, isEventName, isVerbName, verbNames, verbs } from '../../../shared/contract.ts';

describe('connection input', () => {
  it('fills defaults an admin expects', () => {
    expect(ConnectionInputSchema.parse({ name: ' nas ', host: 'nas.lan' })).toEqual({
      name: 'nas',
      host: 'nas.lan',
      port: 22,
      username: 'root',
      auth: { kind: 'app-key' },
      privilege: 'root',
    });
  });

  it.each(['nas; reboot', '$(id)', '`id`', '-oProxyCommand=x', 'a b', '', 'nas|x'])('rejects host %j', (host) => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host }).success).toBe(false);
  });

  it.each(['192.168.1.20', 'fe80::1%eth0', 'nas-01.example.com', 'truenas.local'])('accepts host %j', (host) => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host }).success).toBe(true);
  });

  it.each(['-oops', 'root;', 'a b', '$USER'])('rejects user %j', (username) => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host: 'h', username }).success).toBe(false);
  });

  it('rejects ports out of range', () => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host: 'h', port: 0 }).success).toBe(false);
    expect(ConnectionInputSchema.safeParse({ name: 'n', host: 'h', port: 65536 }).success).toBe(false);
  });
});

describe('contract names', () => {
  it('recognises own names only, not Object.prototype keys', () => {
    expect(verbNames).toContain('ping');
    expect(eventNames).toContain('runProgress');
    expect(isVerbName('ping')).toBe(true);
    expect(isVerbName('constructor')).toBe(false);
    expect(isEventName('hasOwnProperty')).toBe(false);
  });
});

describe('schemas never throw, whatever arrives', () => {
  // Issue 11 item 3/6: a 40,000-character naming schema made a refinement throw "Regular expression too large",
  // which took the dispatcher (and the bridge) down with it. Every leaf of a valid request is replaced by each
  // hostile value in turn: safeParse must answer (success or issues), never throw.
  const hostile: unknown[] = [
    'x'.repeat(1_000_000),
    `${'%Y'.repeat(20_000)}`,
    `auto-%Y-%m-%d_%H-%M-${'x'.repeat(40_000)}`,
    `${'('.repeat(50_000)}`,
    '\u0000\u001b[2J\u202e',
    '\ud800',
    Array.from({ length: 10_000 }, () => 'tank/a'),
    { toString: 1 },
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    null,
    true,
  ];
  const draft = {
    name: 'nightly',
    sourceConnectionId: '11111111-1111-4111-8111-111111111111',
    sources: [{ name: 'tank/data', recursive: true, exclude: ['tank/data/tmp'] }],
    destinationConnectionId: '22222222-2222-4222-8222-222222222222',
    destinationParent: 'backup/r',
    transport: { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: 'admin' },
    selection: { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'] },
    properties: { replicate: true, exclude: ['mountpoint'], override: { 'com.example:role': 'replica' } },
    encryption: { kind: 'encrypt-on-destination', keyFormat: 'passphrase', key: 'long enough' },
    schedule: { kind: 'cron', expression: '0 * * * *' },
    destinationLifetime: { kind: 'custom', amount: 2, unit: 'weeks' },
  };
  const variants = (value: unknown, replace: (leaf: unknown) => unknown): unknown[] => {
    if (Array.isArray(value)) return value.flatMap((item, i) => variants(item, (leaf) => replace(value.map((v, j) => (i === j ? leaf : v)))));
    if (value !== null && typeof value === 'object') {
      return Object.entries(value).flatMap(([key, item]) => variants(item, (leaf) => replace({ ...value, [key]: leaf })));
    }
    return hostile.map(replace);
  };

  it.each([
    ['saveTask', draft],
    ['saveTask', { ...draft, selection: { kind: 'regex', pattern: '^auto-' } }],
    ['saveConnection', { name: 'nas', host: 'nas.lan', username: 'admin', auth: { kind: 'key-file', keyPath: '/k' } }],
    ['saveSnapshotTask', { connectionId: '11111111-1111-4111-8111-111111111111', dataset: 'tank/a', exclude: ['tank/a/b'], namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: { kind: 'manual' }, lifetime: { kind: 'forever' } }],
    ['listSnapshots', { connectionId: '11111111-1111-4111-8111-111111111111', dataset: 'tank/a', recursive: false }],
    ['establishNasTrust', { sourceConnectionId: '11111111-1111-4111-8111-111111111111', destinationConnectionId: '22222222-2222-4222-8222-222222222222', destinationAddress: { host: 'nas-b', port: 22 } }],
  ] as const)('%s: every leaf replaced by hostile values', (verb, valid) => {
    const schema = verbs[verb].request;
    expect(schema.safeParse(valid).success).toBe(true);
    const started = performance.now();
    let checked = 0;
    for (const input of variants(valid, (v) => v)) {
      expect(() => schema.safeParse(input)).not.toThrow();
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
    // Linear rules: a few hundred parses of megabyte strings stay well within a second or two.
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});
