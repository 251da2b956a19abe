import { describe, expect, it } from 'vitest';
import { namingSchema } from '../../../shared/naming-schema.ts';
import {
  addLifetime,
  decideRetention,
  describeReason,
  diffRetention,
  periodicRetentionRequest,
  projectRetention,
  prunedNames,
  replicaRetentionRequest,
  replicationNeedsOf,
  RetentionDecisionSchema,
  RetentionPolicySchema,
  RetentionRequestSchema,
  retentionReasons,
  summarizeRetention,
  type RetentionDecision,
  type RetentionPolicy,
  type RetentionRequest,
  type RetentionSnapshotData,
} from '../../../shared/retention.ts';
import { PeriodicSnapshotTaskSchema, ReplicationTaskSchema } from '../../../shared/task-schemas.ts';

// The one retention function, on table tests taken from the documented examples of Proxmox Backup Server, restic
// and sanoid (each cited where it is used), then the guards, time zones and DST edges, the summary, the diff and the
// projection.

const pattern = 'auto-%Y-%m-%d_%H-%M';
const utc = namingSchema(pattern);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const snapshotsAt = (times: readonly number[], schema = utc): RetentionSnapshotData[] => times.map((t) => ({ name: schema.format(new Date(t)), holds: 0 }));
/** `count` snapshots every `step` ms ending at `last`, oldest first (as zfs lists them). */
const series = (last: number, count: number, step: number): number[] => Array.from({ length: count }, (_, i) => last - (count - 1 - i) * step);
const grid = (keep: Partial<Record<'last' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly', number>>): RetentionPolicy =>
  RetentionPolicySchema.parse({ kind: 'grid', ...keep });
const decide = (snapshots: RetentionSnapshotData[], policy: RetentionPolicy, now: number, extra: Partial<RetentionRequest> = {}) =>
  decideRetention({ snapshots, policy, namingSchemas: [pattern], now, ...extra });
const kept = (decisions: readonly RetentionDecision[]) => decisions.filter((d) => d.fate === 'keep');
const label = (d: RetentionDecision) => (d.reason.kind === 'rule' ? `${d.reason.rule} ${d.reason.n}` : d.reason.kind);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString().slice(0, 16));

describe('keep grid: documented examples', () => {
  it('restic docs, "Removing snapshots according to a policy": one backup every Sunday for 12 weeks, --keep-daily 4 keeps the last four Sundays and removes 8', () => {
    // https://restic.readthedocs.io/en/stable/060_forget.html (doc/060_forget.rst): 2019-09-01 .. 2019-11-17 at 11:00.
    const sundays = series(Date.UTC(2019, 10, 17, 11, 0), 12, 7 * DAY);
    const decisions = decide(snapshotsAt(sundays), grid({ daily: 4 }), Date.UTC(2019, 10, 18));
    expect(kept(decisions).map((d) => [d.name, label(d)])).toEqual([
      ['auto-2019-10-27_11-00', 'daily 4'],
      ['auto-2019-11-03_11-00', 'daily 3'],
      ['auto-2019-11-10_11-00', 'daily 2'],
      ['auto-2019-11-17_11-00', 'daily 1'],
    ]);
    expect(decisions.filter((d) => d.fate === 'prune').map((d) => d.name)).toEqual([
      'auto-2019-09-01_11-00', 'auto-2019-09-08_11-00', 'auto-2019-09-15_11-00', 'auto-2019-09-22_11-00',
      'auto-2019-09-29_11-00', 'auto-2019-10-06_11-00', 'auto-2019-10-13_11-00', 'auto-2019-10-20_11-00',
    ]);
    expect(decisions[0]!.reason).toEqual({ kind: 'outside-grid' });
  });

  it('restic docs: a backup every day for 100 years, --keep-daily 7 --keep-weekly 5 --keep-monthly 12 --keep-yearly 75; restic keeps 7 + 4 + 11|12 + 74|75, we count each snapshot once (as PBS does): 7 + 5 + 12 + 75', () => {
    // doc/060_forget.rst: "would keep the most recent 7 daily snapshots and 4 last-day-of-the-week ones (since the 7
    // dailies already include 1 weekly) ...". Our rules reach past what the previous rules keep, so the counts add up.
    // 1982-11-22 .. 2082-11-21 (a Saturday; names need years from 1970).
    const last = Date.UTC(2082, 10, 21, 23, 0);
    const days = series(last, 36_525, DAY);
    const decisions = decide(snapshotsAt(days), grid({ daily: 7, weekly: 5, monthly: 12, yearly: 75 }), last + HOUR);
    const summary = summarizeRetention(decisions);
    expect(summary.byRule).toEqual({ daily: 7, weekly: 5, monthly: 12, yearly: 75 });
    expect(summary.keep).toBe(99);
    const byRule = (rule: string) => kept(decisions).filter((d) => d.reason.kind === 'rule' && d.reason.rule === rule).map((d) => d.name.slice(5, 15));
    expect(byRule('daily')).toEqual(['2082-11-15', '2082-11-16', '2082-11-17', '2082-11-18', '2082-11-19', '2082-11-20', '2082-11-21']);
    // The dailies cover the weeks of Nov 9 (Sunday 15) and Nov 16: the weeklies are the five Sundays before.
    expect(byRule('weekly')).toEqual(['2082-10-11', '2082-10-18', '2082-10-25', '2082-11-01', '2082-11-08']);
    // Last days of the twelve months before October 2082 (October and November are covered already).
    expect(byRule('monthly')[0]).toBe('2081-10-31');
    expect(byRule('monthly').at(-1)).toBe('2082-09-30');
    // 2082 and 2081 are covered: the last days of 2006 .. 2080.
    expect(byRule('yearly')[0]).toBe('2006-12-31');
    expect(byRule('yearly').at(-1)).toBe('2080-12-31');
  });

  it('Proxmox Backup Server prune simulator defaults: every day at 0/6:00 for 15 weeks, keep-last 4, keep-daily 5, keep-weekly 2 → 11 kept', () => {
    // docs/prune-simulator (pbs.proxmox.com/docs/prune-simulator): its default form; "The retention options are
    // processed in the order given above. Each option only covers backups within its time period. The next option
    // does not take care of already covered backups. It will only consider older backups." (Maintenance Tasks, Pruning)
    const now = Date.UTC(2026, 10, 22, 20, 0); // Sunday 20:00
    const times = series(Date.UTC(2026, 10, 22, 18, 0), 15 * 7 * 4, 6 * HOUR);
    const decisions = decide(snapshotsAt(times), grid({ last: 4, daily: 5, weekly: 2 }), now);
    expect(kept(decisions).reverse().map((d) => `${d.name.slice(5)} ${label(d)}`)).toEqual([
      '2026-11-22_18-00 last 1',
      '2026-11-22_12-00 last 2',
      '2026-11-22_06-00 last 3',
      '2026-11-22_00-00 last 4',
      '2026-11-21_18-00 daily 1',
      '2026-11-20_18-00 daily 2',
      '2026-11-19_18-00 daily 3',
      '2026-11-18_18-00 daily 4',
      '2026-11-17_18-00 daily 5',
      // Monday 16 is in the week the dailies already cover: the weeklies start with the week before.
      '2026-11-15_18-00 weekly 1',
      '2026-11-08_18-00 weekly 2',
    ]);
    const byName = new Map(decisions.map((d) => [d.name, d]));
    expect(byName.get('auto-2026-11-21_12-00')!.reason).toEqual({ kind: 'superseded', rule: 'daily', by: 'auto-2026-11-21_18-00' });
    expect(byName.get('auto-2026-11-16_18-00')!.reason).toEqual({ kind: 'outside-grid' });
    expect(byName.get('auto-2026-11-10_06-00')!.reason).toEqual({ kind: 'superseded', rule: 'weekly', by: 'auto-2026-11-15_18-00' });
    expect(summarizeRetention(decisions)).toMatchObject({ total: 420, keep: 11, prune: 409 });
  });

  it('sanoid.defaults.conf (hourly = 48, daily = 90, monthly = 6) on a year of top-of-the-hour snapshots: 48 + 90 + 6 kept', () => {
    // github.com/jimsalterjrs/sanoid sanoid.defaults.conf; sanoid counts typed snapshots (its dailies are taken at
    // 23:59 "so a daily contains everything done during that day"); we keep the newest snapshot of each period,
    // i.e. the 23:00 one, and the dailies start where the hourlies end.
    const last = Date.UTC(2026, 10, 21, 10, 0);
    const hours = series(last, 365 * 24, HOUR);
    const decisions = decide(snapshotsAt(hours), grid({ hourly: 48, daily: 90, monthly: 6 }), last + 60_000);
    const summary = summarizeRetention(decisions);
    expect(summary.byRule).toEqual({ hourly: 48, daily: 90, monthly: 6 });
    expect(summary.keep).toBe(144);
    const rule = (name: string) => kept(decisions).filter((d) => d.reason.kind === 'rule' && d.reason.rule === name);
    expect(rule('hourly')[0]!.name).toBe('auto-2026-11-19_11-00');
    // 48 hours span Nov 19-21: the dailies are the 23:00 snapshots of the 90 days before.
    expect(rule('daily').every((d) => d.name.endsWith('_23-00'))).toBe(true);
    expect(rule('daily').at(-1)!.name).toBe('auto-2026-11-18_23-00');
    expect(rule('daily')[0]!.name).toBe('auto-2026-08-21_23-00');
    // The months already covered are August to November: the monthlies are February to July, each month's last.
    expect(rule('monthly').map((d) => d.name)).toEqual([
      'auto-2026-02-28_23-00', 'auto-2026-03-31_23-00', 'auto-2026-04-30_23-00', 'auto-2026-05-31_23-00', 'auto-2026-06-30_23-00', 'auto-2026-07-31_23-00',
    ]);
  });

  it('sanoid.conf template_production (hourly = 36, daily = 30, monthly = 3) keeps 69', () => {
    // github.com/jimsalterjrs/sanoid sanoid.conf, [template_production].
    const last = Date.UTC(2026, 10, 21, 10, 0);
    const decisions = decide(snapshotsAt(series(last, 200 * 24, HOUR)), grid({ hourly: 36, daily: 30, monthly: 3 }), last);
    expect(summarizeRetention(decisions).byRule).toEqual({ hourly: 36, daily: 30, monthly: 3 });
  });

  it('periods without snapshots do not count (PBS simulator docs: "Days without backups do not count")', () => {
    const days = [Date.UTC(2026, 0, 1, 12), Date.UTC(2026, 0, 5, 12), Date.UTC(2026, 0, 9, 12), Date.UTC(2026, 0, 20, 12)];
    const decisions = decide(snapshotsAt(days), grid({ daily: 3 }), Date.UTC(2026, 0, 21));
    expect(decisions.map((d) => d.fate)).toEqual(['prune', 'keep', 'keep', 'keep']);
  });

  it('ISO weeks run Monday to Sunday across the new year (PBS docs: "handles weeks at the end of the year correctly")', () => {
    // 2026-12-28 (Monday) .. 2027-01-03 (Sunday) is week 53 of 2026; 2027-01-04 starts week 1 of 2027.
    const times = [Date.UTC(2026, 11, 27, 12), Date.UTC(2026, 11, 28, 12), Date.UTC(2027, 0, 3, 12), Date.UTC(2027, 0, 4, 12)];
    const decisions = decide(snapshotsAt(times), grid({ weekly: 3 }), Date.UTC(2027, 0, 5));
    expect(decisions.map(label)).toEqual(['weekly 3', 'superseded', 'weekly 2', 'weekly 1']);
  });
});

describe('lifetime', () => {
  const hourly = (count: number) => snapshotsAt(series(Date.UTC(2026, 10, 20, 0) + (count - 1) * HOUR, count, HOUR));
  const now = Date.UTC(2026, 10, 21, 12, 0);

  it('prunes snapshots past a custom lifetime, keeps the rest with the date they go', () => {
    const decisions = decide(hourly(48), { kind: 'custom', amount: 1, unit: 'days' }, now);
    const pruned = prunedNames(decisions);
    // Taken 2026-11-20 00:00 .. 11-21 23:00; one day after 11-20 12:00 is now.
    expect(pruned).toHaveLength(13);
    expect(pruned[0]).toBe('auto-2026-11-20_00-00');
    expect(pruned.at(-1)).toBe('auto-2026-11-20_12-00');
    expect(decisions[12]!.reason).toEqual({ kind: 'expired', on: Date.UTC(2026, 10, 21, 12) });
    expect(decisions[13]).toMatchObject({ fate: 'keep', reason: { kind: 'within-lifetime', until: Date.UTC(2026, 10, 21, 13) }, prunableAt: Date.UTC(2026, 10, 21, 13) });
  });

  it('forever keeps everything; same as source prunes on a replica what the source no longer has, and nothing when the source is unknown', () => {
    expect(decide(hourly(10), { kind: 'forever' }, now).every((d) => d.fate === 'keep' && d.reason.kind === 'forever')).toBe(true);
    const snapshots = hourly(4);
    const sourceNames = [snapshots[2]!.name, snapshots[3]!.name];
    expect(decide(snapshots, { kind: 'same-as-source' }, now, { sourceNames }).map((d) => d.reason.kind)).toEqual(['gone-from-source', 'gone-from-source', 'on-source', 'on-source']);
    expect(decide(snapshots, { kind: 'same-as-source' }, now).map((d) => d.reason.kind)).toEqual(Array(4).fill('source-unknown'));
  });

  it('adds calendar months and years clamped to the month end, and days on the wall clock (23 or 25 hours over DST)', () => {
    expect(new Date(addLifetime(Date.parse('2026-01-31T10:00:00Z'), 1, 'months')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(new Date(addLifetime(Date.parse('2026-11-21T10:00:00Z'), 2, 'weeks')).toISOString()).toBe('2026-12-05T10:00:00.000Z');
    expect(new Date(addLifetime(Date.parse('2024-02-29T00:00:00Z'), 1, 'years')).toISOString()).toBe('2025-02-28T00:00:00.000Z');
    expect(new Date(addLifetime(Date.parse('2024-02-29T00:00:00Z'), 4, 'years')).toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(new Date(addLifetime(Date.parse('2025-12-31T23:59:30Z'), 2, 'months')).toISOString()).toBe('2026-02-28T23:59:30.000Z');
    expect(new Date(addLifetime(Date.parse('2024-01-31T06:00:00Z'), 1, 'months')).toISOString()).toBe('2024-02-29T06:00:00.000Z');
    // The same as calendar arithmetic with Date, on 2,000 instants from 1970 to 2100.
    for (let i = 0; i < 2000; i++) {
      const from = Math.floor(((i * 7919) % 2000) / 2000 * Date.UTC(2100, 0, 1));
      const months = 1 + (i % 40);
      const d = new Date(from);
      const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()));
      target.setUTCDate(Math.min(d.getUTCDate(), new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate()));
      expect(addLifetime(from, months, 'months')).toBe(target.getTime());
    }
    // Paris: 2026-10-24 12:00 CEST + 1 day = 2026-10-25 12:00 CET, 25 hours later; spring: 23 hours.
    expect(addLifetime(Date.parse('2026-10-24T10:00:00Z'), 1, 'days', 'Europe/Paris') - Date.parse('2026-10-24T10:00:00Z')).toBe(25 * HOUR);
    expect(addLifetime(Date.parse('2026-03-28T11:00:00Z'), 1, 'days', 'Europe/Paris') - Date.parse('2026-03-28T11:00:00Z')).toBe(23 * HOUR);
    expect(addLifetime(Date.parse('2026-10-24T10:00:00Z'), 24, 'hours', 'Europe/Paris') - Date.parse('2026-10-24T10:00:00Z')).toBe(24 * HOUR);
  });
});

describe('guards', () => {
  const times = series(Date.UTC(2026, 0, 1, 5), 6, HOUR);
  const expired = { kind: 'custom', amount: 1, unit: 'hours' } as const;
  const later = Date.UTC(2030, 0, 1);

  it('never prunes a held snapshot, a common base, a name outside the schema, or the newest one; the policy verdict stays visible', () => {
    const snapshots = snapshotsAt(times);
    snapshots[0]!.holds = 2;
    snapshots.splice(3, 0, { name: 'before-upgrade', holds: 0 });
    const decisions = decide(snapshots, expired, later, { commonBases: [{ taskId: 'task-a', name: snapshots[2]!.name }] });
    expect(decisions.map((d) => `${d.fate} ${d.reason.kind}`)).toEqual([
      'keep held',
      'prune expired',
      'keep common-base',
      'keep not-in-schema',
      'prune expired',
      'prune expired',
      'keep newest',
    ]);
    expect(decisions[0]!.policyReason).toEqual({ kind: 'expired', on: times[0]! + HOUR });
    expect(decisions[2]!.reason).toEqual({ kind: 'common-base', taskIds: ['task-a'] });
    expect(decisions[3]!.time).toBeNull();
  });

  it("a hold tagged by the replication engine names the task whose common base it is", () => {
    const snapshots = snapshotsAt(times);
    snapshots[1] = { ...snapshots[1]!, holds: 2, holdTags: ['zfs-replication:task-b', 'zfs-replication:task-c'] };
    snapshots[2] = { ...snapshots[2]!, holds: 1, holdTags: ['keep-me'] };
    const decisions = decide(snapshots, expired, later, { replications: [] });
    expect(decisions[1]!.reason).toEqual({ kind: 'common-base', taskIds: ['task-b', 'task-c'] });
    expect(decisions[2]!.reason).toEqual({ kind: 'held', holds: 1 });
  });

  it('never prunes on the source what a replication task has not sent yet: after its base, from its hold tag, or all when it never ran', () => {
    const snapshots = snapshotsAt(times);
    // Sent up to times[2] (its base); everything after it is still needed.
    expect(decide(snapshots, expired, later, { replications: [{ taskId: 'task-a', base: snapshots[2]!.name }] }).map((d) => d.reason.kind)).toEqual([
      'expired', 'expired', 'expired', 'not-yet-replicated', 'not-yet-replicated', 'not-yet-replicated',
    ]);
    // Never ran: it needs all of them.
    expect(decide(snapshots, expired, later, { replications: [{ taskId: 'task-a', base: null }] }).every((d) => d.reason.kind === 'not-yet-replicated')).toBe(true);
    // Base from the engine's hold tag.
    const tagged = snapshots.map((s, i) => (i === 4 ? { ...s, holds: 1, holdTags: ['zfs-replication:task-a'] } : s));
    const decisions = decide(tagged, expired, later, { replications: [{ taskId: 'task-a' }] });
    expect(decisions.map((d) => d.reason.kind)).toEqual(['expired', 'expired', 'expired', 'expired', 'common-base', 'not-yet-replicated']);
    expect(decisions[5]!.reason).toEqual({ kind: 'not-yet-replicated', taskIds: ['task-a'] });
    // A task that selects another schema does not need these.
    expect(decide(snapshots, expired, later, { replications: [{ taskId: 'task-a', base: null, namingSchemas: ['daily-%Y-%m-%d_%H-%M'] }] }).filter((d) => d.fate === 'prune')).toHaveLength(5);
  });

  it('the periodic task request finds the replication tasks that send a dataset (recursive sources, excludes, selections)', () => {
    const base = {
      sourceConnectionId: '11111111-1111-4111-8111-111111111111',
      destinationConnectionId: '22222222-2222-4222-8222-222222222222',
      destinationParent: 'backup',
      transport: { kind: 'relay' },
      name: 'x',
    };
    const tasks = [
      ReplicationTaskSchema.parse({ ...base, id: '33333333-3333-4333-8333-333333333331', sources: [{ name: 'tank/data', recursive: true, exclude: ['tank/data/tmp'] }], selection: { kind: 'naming-schema', schemas: [pattern] } }),
      ReplicationTaskSchema.parse({ ...base, id: '33333333-3333-4333-8333-333333333332', sources: [{ name: 'tank/data/a' }], selection: { kind: 'all' } }),
      ReplicationTaskSchema.parse({ ...base, id: '33333333-3333-4333-8333-333333333333', sources: [{ name: 'tank/data' }], selection: { kind: 'all' } }),
    ];
    expect(replicationNeedsOf(tasks, base.sourceConnectionId, 'tank/data/a')).toEqual([
      { taskId: tasks[0]!.id, namingSchemas: [pattern] },
      { taskId: tasks[1]!.id, namingSchemas: null },
    ]);
    expect(replicationNeedsOf(tasks, base.sourceConnectionId, 'tank/data/tmp/x')).toEqual([]);
    expect(replicationNeedsOf(tasks, '99999999-9999-4999-8999-999999999999', 'tank/data')).toEqual([]);
    // Without a list from the store, the tasks whose hold is on a snapshot count.
    const task = PeriodicSnapshotTaskSchema.parse({ id: tasks[0]!.id, connectionId: base.sourceConnectionId, dataset: 'tank/data', namingSchema: pattern, schedule: { kind: 'manual' }, lifetime: expired });
    const snapshots = snapshotsAt(times).map((s, i) => (i === 2 ? { ...s, holds: 1, holdTags: ['zfs-replication:task-z'] } : s));
    expect(periodicRetentionRequest(task, snapshots, later).replications).toEqual([{ taskId: 'task-z' }]);
    expect(decideRetention(periodicRetentionRequest(task, snapshots, later)).map((d) => d.reason.kind)).toEqual([
      'expired', 'expired', 'common-base', 'not-yet-replicated', 'not-yet-replicated', 'not-yet-replicated',
    ]);
  });

  it('a replica request keeps the common base and prunes only for naming-schema tasks', () => {
    const task = { id: 'task-r', destinationLifetime: expired, selection: { kind: 'naming-schema' as const, schemas: [pattern] } };
    const snapshots = snapshotsAt(times);
    const request = replicaRetentionRequest(task, snapshots, { now: later, commonBase: snapshots[1]!.name, sourceNames: null })!;
    expect(decideRetention(request).map((d) => d.reason.kind)).toEqual(['expired', 'common-base', 'expired', 'expired', 'expired', 'newest']);
    expect(replicaRetentionRequest({ ...task, selection: { kind: 'all' } }, snapshots, { now: later, commonBase: null, sourceNames: null })).toBeNull();
  });
});

describe('time zones and DST', () => {
  it('names are read on the zone wall clock; grid days follow the zone, not UTC', () => {
    const paris = namingSchema(pattern, 'Europe/Paris');
    // 22:30 and 23:30 UTC on Nov 20 are 23:30 on the 20th and 00:30 on the 21st in Paris.
    const times = [Date.UTC(2026, 10, 20, 22, 30), Date.UTC(2026, 10, 20, 23, 30), Date.UTC(2026, 10, 21, 12, 0)];
    const inParis = decideRetention({ snapshots: snapshotsAt(times, paris), policy: grid({ daily: 2 }), namingSchemas: [pattern], timeZone: 'Europe/Paris', now: Date.UTC(2026, 10, 22) });
    expect(inParis.map((d) => d.name)).toEqual(['auto-2026-11-20_23-30', 'auto-2026-11-21_00-30', 'auto-2026-11-21_13-00']);
    expect(inParis.map(label)).toEqual(['daily 2', 'superseded', 'daily 1']);
    expect(inParis.map((d) => d.time)).toEqual(times);
    const inUtc = decide(snapshotsAt(times), grid({ daily: 2 }), Date.UTC(2026, 10, 22));
    expect(inUtc.map(label)).toEqual(['superseded', 'daily 2', 'daily 1']);
  });

  it('the hour a fall-back repeats reads as its first instant; a time the spring-forward skips lands after the gap', () => {
    const paris = namingSchema(pattern, 'Europe/Paris');
    expect(iso(paris.parseTime('auto-2026-10-25_02-30'))).toBe('2026-10-25T00:30'); // 02:30 CEST (not CET, 01:30Z)
    expect(iso(paris.parseTime('auto-2026-10-25_03-30'))).toBe('2026-10-25T02:30');
    expect(iso(paris.parseTime('auto-2026-03-29_02-30'))).toBe('2026-03-29T01:30'); // no 02:30 that day: 03:30 CEST
    expect(paris.format(new Date(Date.UTC(2026, 9, 25, 1, 30)))).toBe('auto-2026-10-25_02-30');
    // New York, 2026-11-01: 01:30 EDT then 01:30 EST.
    const newYork = namingSchema(pattern, 'America/New_York');
    expect(iso(newYork.parseTime('auto-2026-11-01_01-30'))).toBe('2026-11-01T05:30');
  });

  it('hourly buckets on the wall clock: the repeated hour is one bucket; a day over DST is one day', () => {
    const paris = namingSchema(pattern, 'Europe/Paris');
    // 00:10Z = 02:10 CEST; 01:50Z = 02:50 CET: the same wall-clock hour.
    const names = [{ name: 'auto-2026-10-25_02-10', holds: 0 }, { name: 'auto-2026-10-25_02-50', holds: 0 }, { name: 'auto-2026-10-25_23-00', holds: 0 }];
    const decisions = decideRetention({ snapshots: names, policy: grid({ hourly: 5 }), namingSchemas: [pattern], timeZone: 'Europe/Paris', now: Date.UTC(2026, 9, 26) });
    expect(decisions.map(label)).toEqual(['superseded', 'hourly 2', 'hourly 1']);
    // 25 hourly snapshots of that 25-hour day are one daily bucket.
    const day = series(Date.UTC(2026, 9, 25, 22, 0), 25, HOUR);
    const daily = decideRetention({ snapshots: snapshotsAt(day, paris), policy: grid({ daily: 5 }), namingSchemas: [pattern], timeZone: 'Europe/Paris', now: Date.UTC(2026, 9, 27) });
    expect(kept(daily).map((d) => d.name)).toEqual(['auto-2026-10-25_23-00']);
  });
});

describe('summary, diff, projection, contract', () => {
  const last = Date.UTC(2026, 10, 21, 10, 0);
  const snapshots = snapshotsAt(series(last, 72, HOUR)).map((s, i) => ({ ...s, usedBytes: 1000 + i }));
  const now = last + 30 * 60_000;

  it('summary: counts by reason and rule, bytes reclaimed (at least), oldest and newest kept, next prune', () => {
    const decisions = decide(snapshots, { kind: 'custom', amount: 1, unit: 'days' }, now);
    const summary = summarizeRetention(decisions);
    expect(summary).toMatchObject({ total: 72, keep: 24, prune: 48, byReason: { expired: 48, 'within-lifetime': 24 }, reclaimBytesComplete: true });
    expect(summary.reclaimBytes).toBe(Array.from({ length: 48 }, (_, i) => 1000 + i).reduce((a, b) => a + b));
    expect(summary.oldestKept).toEqual({ name: 'auto-2026-11-20_11-00', time: Date.UTC(2026, 10, 20, 11) });
    expect(summary.newestKept).toEqual({ name: 'auto-2026-11-21_10-00', time: last });
    expect(summary.nextPruneAt).toBe(Date.UTC(2026, 10, 21, 11));
  });

  it('diff: a shorter lifetime against the current one lists exactly the snapshots that change fate', () => {
    const current = decide(snapshots, { kind: 'custom', amount: 2, unit: 'days' }, now);
    const proposed = decide(snapshots, { kind: 'custom', amount: 1, unit: 'days' }, now);
    const diff = diffRetention(current, proposed);
    expect(diff.newlyPruned).toBe(24);
    expect(diff.newlyKept).toBe(0);
    expect(diff.changes[0]).toMatchObject({ name: 'auto-2026-11-19_11-00', from: 'keep', to: 'prune', was: { kind: 'within-lifetime' }, now: { kind: 'expired' } });
    expect(diff.reclaimBytesDelta).toBe(Array.from({ length: 24 }, (_, i) => 1024 + i).reduce((a, b) => a + b));
    expect(() => diffRetention(current, proposed.slice(1))).toThrow('same snapshots');
  });

  it('projection: an hourly schedule under a one-day lifetime settles at 24 snapshots; a 24-hourly + 7-daily grid at 31', () => {
    const schedule = { expression: '0 * * * *' };
    const until = now + 30 * DAY;
    const lifetime = projectRetention({ request: { snapshots, policy: { kind: 'custom', amount: 1, unit: 'days' }, namingSchemas: [pattern], now }, schedule, until, points: 30 });
    expect(lifetime.runs).toBe(30 * 24);
    expect(lifetime.points.at(-1)).toMatchObject({ count: 24 });
    expect(lifetime.points.every((p) => p.count === 24)).toBe(true);
    expect(lifetime.points[0]!.estimatedBytes).toBeGreaterThan(0);
    const gridded = projectRetention({ request: { snapshots, policy: grid({ hourly: 24, daily: 7 }), namingSchemas: [pattern], now }, schedule, until, points: 30 });
    expect(gridded.points.at(-1)!.count).toBe(31);
    expect(gridded.points[0]!.count).toBeLessThan(31);
    // Forever grows by one a run.
    const forever = projectRetention({ request: { snapshots, policy: { kind: 'forever' }, namingSchemas: [pattern], now }, schedule, until, points: 2 });
    expect(forever.points.map((p) => p.count)).toEqual([72 + 15 * 24, 72 + 30 * 24]);
  });

  it('the decisions are contract data: they pass their zod schema, the request schema applies defaults', () => {
    const request = RetentionRequestSchema.parse({ snapshots: [{ name: 'auto-2026-11-21_10-00' }], policy: { kind: 'grid', daily: 7 }, namingSchemas: [pattern], now });
    expect(request).toMatchObject({ timeZone: 'UTC', commonBases: [], replications: [], sourceNames: null, snapshots: [{ holds: 0 }], policy: { last: 0, daily: 7 } });
    for (const decision of decideRetention(request)) expect(RetentionDecisionSchema.parse(decision)).toEqual(decision);
    expect(RetentionPolicySchema.safeParse({ kind: 'grid' }).error?.issues[0]?.message).toContain('at least one count above 0');
    expect(RetentionRequestSchema.safeParse({ ...request, timeZone: 'Mars/Olympus' }).error?.issues[0]?.message).toContain('IANA name');
  });

  it('every reason reads as a sentence (the table and timeline label fates with words, not colour alone)', () => {
    const zone = 'Europe/Paris';
    expect(describeReason({ kind: 'rule', rule: 'daily', n: 3 })).toBe('daily #3: newest of its day');
    expect(describeReason({ kind: 'rule', rule: 'last', n: 1 })).toBe('keep last: #1');
    expect(describeReason({ kind: 'expired', on: Date.UTC(2026, 10, 21, 9) }, { timeZone: zone })).toBe('expired on 2026-11-21 10:00');
    expect(describeReason({ kind: 'common-base', taskIds: ['t1'] }, { taskName: () => 'tank → backup' })).toBe('common base of tank → backup: the next incremental starts from it');
    expect(describeReason({ kind: 'held', holds: 1 })).toBe('held (1 hold): ZFS will not destroy it');
    expect(describeReason({ kind: 'superseded', rule: 'weekly', by: 'auto-x' })).toBe('weekly: a newer snapshot of the same week is kept (auto-x)');
  });
});

describe('retentionReasons: the decisions\' reasons alone', () => {
  it('gives every snapshot the reason decideRetention decides, under a grid, a lifetime and every guard', () => {
    const times = series(Date.UTC(2026, 0, 20, 5), 24 * 20, HOUR);
    const snapshots = snapshotsAt(times);
    snapshots[3]!.holds = 1;
    snapshots[10] = { ...snapshots[10]!, holds: 1, holdTags: ['zfs-replication:task-b'] };
    snapshots.splice(40, 0, { name: 'before-upgrade', holds: 0 });
    const later = Date.UTC(2026, 0, 20, 6);
    for (const policy of [grid({ last: 2, hourly: 6, daily: 5, weekly: 1 }), RetentionPolicySchema.parse({ kind: 'custom', amount: 3, unit: 'days' })]) {
      for (const extra of [{}, { commonBases: [{ taskId: 'task-a', name: snapshots[100]!.name }], replications: [{ taskId: 'task-c', base: snapshots[400]!.name }] }]) {
        const request: RetentionRequest = { snapshots, policy, namingSchemas: [pattern], now: later, ...extra };
        expect(retentionReasons(request)).toEqual(decideRetention(request).map((d) => d.reason));
      }
    }
  });

  it('the snapshots one kept snapshot supersedes share one reason object (reasons are data, never mutated)', () => {
    const snapshots = snapshotsAt(series(Date.UTC(2026, 0, 3, 23), 72, HOUR));
    const decisions = decide(snapshots, grid({ daily: 3 }), Date.UTC(2026, 0, 4));
    expect(decisions[0]!.reason).toEqual({ kind: 'superseded', rule: 'daily', by: snapshots[23]!.name });
    expect(decisions[0]!.reason).toBe(decisions[22]!.reason);
    expect(decisions[24]!.reason).toEqual({ kind: 'superseded', rule: 'daily', by: snapshots[47]!.name });
    expect(decisions[24]!.reason).not.toBe(decisions[0]!.reason);
  });
});
