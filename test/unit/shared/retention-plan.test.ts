import { describe, expect, it } from 'vitest';
import { namingSchema } from '../../../shared/naming-schema.ts';
import { addLifetime, planRetention, type RetentionSnapshot } from '../../../shared/retention-plan.ts';

const schema = namingSchema('auto-%Y-%m-%d_%H-%M');
const hourly = (count: number, start = Date.UTC(2026, 10, 20, 0, 0)): RetentionSnapshot[] =>
  Array.from({ length: count }, (_, i) => ({ name: schema.format(new Date(start + i * 3600_000)), holds: 0 }));
const now = new Date(Date.UTC(2026, 10, 21, 12, 0));

describe('planRetention', () => {
  it('prunes schema snapshots past a custom lifetime and keeps the rest, each with a reason', () => {
    const plan = planRetention({ snapshots: hourly(48), schema, lifetime: { kind: 'custom', amount: 1, unit: 'days' }, now });
    const pruned = plan.filter((d) => d.action === 'prune').map((d) => d.name);
    // Taken 2026-11-20 00:00 .. 11-21 23:00; one day later than 11-20 12:00 is now.
    expect(pruned[0]).toBe('auto-2026-11-20_00-00');
    expect(pruned.at(-1)).toBe('auto-2026-11-20_12-00');
    expect(pruned).toHaveLength(13);
    expect(plan.find((d) => d.name === 'auto-2026-11-20_13-00')).toMatchObject({ action: 'keep', reason: expect.stringContaining('expires 2026-11-21T13:00') });
  });

  it('never proposes a held, protected or foreign snapshot, nor the newest one', () => {
    const snapshots = hourly(5);
    snapshots[0]!.holds = 1;
    snapshots.push({ name: 'before-upgrade', holds: 0 });
    const plan = planRetention({
      snapshots,
      schema,
      lifetime: { kind: 'custom', amount: 1, unit: 'hours' },
      now: new Date(Date.UTC(2030, 0, 1)),
      protectedNames: new Set([snapshots[2]!.name]),
    });
    const byName = Object.fromEntries(plan.map((d) => [d.name, d]));
    expect(byName[snapshots[0]!.name]).toMatchObject({ action: 'keep', reason: 'held (1 hold)' });
    expect(byName[snapshots[2]!.name]!.reason).toContain('last common snapshot');
    expect(byName[snapshots[4]!.name]!.reason).toContain('newest');
    expect(byName['before-upgrade']!.reason).toContain('does not follow the naming schema');
    expect(plan.filter((d) => d.action === 'prune').map((d) => d.name)).toEqual([snapshots[1]!.name, snapshots[3]!.name]);
  });

  it('same as source: prunes on the destination what the source no longer has', () => {
    const snapshots = hourly(4);
    const plan = planRetention({ snapshots, schema, lifetime: { kind: 'same-as-source' }, now, sourceNames: new Set([snapshots[2]!.name, snapshots[3]!.name]) });
    expect(plan.map((d) => d.action)).toEqual(['prune', 'prune', 'keep', 'keep']);
    // Without knowing the source, nothing goes.
    expect(planRetention({ snapshots, schema, lifetime: { kind: 'same-as-source' }, now }).every((d) => d.action === 'keep')).toBe(true);
  });

  it('forever keeps everything', () => {
    expect(planRetention({ snapshots: hourly(10), schema, lifetime: { kind: 'forever' }, now }).every((d) => d.action === 'keep')).toBe(true);
  });
});

describe('addLifetime', () => {
  it('adds calendar months and years in UTC, clamped to the month end', () => {
    expect(addLifetime(new Date('2026-01-31T10:00:00Z'), 1, 'months').toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(addLifetime(new Date('2026-11-21T10:00:00Z'), 2, 'weeks').toISOString()).toBe('2026-12-05T10:00:00.000Z');
    expect(addLifetime(new Date('2024-02-29T00:00:00Z'), 1, 'years').toISOString()).toBe('2025-02-28T00:00:00.000Z');
  });
});
