import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../../shared/replication-reports.ts';
import { firstSnapshotName, freeChildName, reviewModel, sameDestruction } from '../../../renderer/features/wizard/review-model.ts';
import { describeMatch, lifetimePreview, matchSnapshots, type SourceSnapshot } from '../../../renderer/features/wizard/snapshot-preview.ts';
import { emptyWizardForm } from '../../../renderer/features/wizard/wizard-form.ts';

const hour = 3600;
const start = Date.parse('2026-12-01T00:00:00Z') / 1000;
function snapshots(count: number, prefix = 'auto-'): SourceSnapshot[] {
  return Array.from({ length: count }, (_, i) => {
    const at = new Date((start + i * hour) * 1000);
    const name = `${prefix}${at.toISOString().slice(0, 10)}_${String(at.getUTCHours()).padStart(2, '0')}-00`;
    return { shortName: name, dataset: 'tank/docs', creation: start + i * hour, createtxg: 100 + i, usedBytes: 1000, type: 'snapshot' as const };
  });
}

describe('the live count of matching snapshots', () => {
  const list = [...snapshots(24), { shortName: 'manual-1', dataset: 'tank/docs', creation: start, createtxg: 5, usedBytes: 0, type: 'snapshot' as const }, { shortName: 'b1', dataset: 'tank/docs', creation: start, createtxg: 6, usedBytes: null, type: 'bookmark' as const }];

  it('counts a naming schema, with the newest and the oldest', () => {
    const match = matchSnapshots(list, { kind: 'naming-schema', schemas: ['auto-%Y-%m-%d_%H-%M'], timeZone: 'UTC' });
    expect(match).toMatchObject({ total: 25, matched: 24, problem: null });
    expect(match.newest?.shortName).toBe('auto-2026-12-01_23-00');
    expect(match.oldest?.shortName).toBe('auto-2026-12-01_00-00');
    expect(describeMatch(match, 'UTC')).toBe('24 of 25 snapshots match: newest auto-2026-12-01_23-00 (2026-12-01 23:00), oldest auto-2026-12-01_00-00 (2026-12-01 00:00).');
  });

  it('counts a regex (RE2) and all', () => {
    expect(matchSnapshots(list, { kind: 'regex', pattern: '^manual-' }).matched).toBe(1);
    expect(matchSnapshots(list, { kind: 'all' }).matched).toBe(25);
  });

  it('says why an invalid schema or regex counts nothing', () => {
    expect(matchSnapshots(list, { kind: 'naming-schema', schemas: ['auto-%Y'], timeZone: 'UTC' }).problem).toMatch(/%m/);
    expect(matchSnapshots(list, { kind: 'regex', pattern: '(a' }).problem).toMatch(/regular expression/i);
    expect(describeMatch(matchSnapshots([], { kind: 'all' }), 'UTC')).toBe('The source has no snapshots yet.');
  });
});

describe('the one-line lifetime preview', () => {
  const selection = { kind: 'naming-schema' as const, schemas: ['auto-%Y-%m-%d_%H-%M'], timeZone: 'UTC' };
  const now = Date.parse('2026-12-02T00:30:00Z');
  it('a custom lifetime keeps what is younger and prunes the rest', () => {
    const line = lifetimePreview(snapshots(24), selection, { kind: 'custom', amount: 12, unit: 'hours' }, now);
    // At 00:30 a 12-hour lifetime has expired 00:00 … 12:00 (13 snapshots) and keeps 13:00 … 23:00 (11).
    expect(line).toBe("Of today's 24 matching snapshots, the destination would keep 11 and prune 13; the oldest kept would be auto-2026-12-01_13-00.");
  });
  it('never delete, same as source and a regex say so in words', () => {
    expect(lifetimePreview(snapshots(3), selection, { kind: 'forever' }, now)).toMatch(/Nothing is ever deleted/);
    expect(lifetimePreview(snapshots(3), selection, { kind: 'same-as-source' }, now)).toMatch(/keep all 3/);
    expect(lifetimePreview(snapshots(3), { kind: 'regex', pattern: 'a' }, { kind: 'custom', amount: 1, unit: 'days' }, now)).toMatch(/nothing on the destination is pruned/);
  });
});

function report(change: Partial<RunReport>): RunReport {
  return { taskId: 'draft', startedAt: '', finishedAt: '', result: 'DRY_RUN', datasets: [], bytesSent: 0, snapshotsSent: 0, refusal: null, error: null, ...change };
}

describe('the review of the dry run', () => {
  const form = { ...emptyWizardForm('UTC'), sources: [{ name: 'tank/docs', recursive: false, exclude: [] }], overrideProperties: 'compression=zstd', excludeProperties: 'mountpoint' };
  const dataset = (plan: RunReport['datasets'][number]['plan'], estimatedBytes: number | null = 1_048_576) => ({ source: 'tank/docs', destination: 'backup/docs', plan, prune: [], destruction: [], abortedResume: null, estimatedBytes, bytesSent: 0, snapshotsSent: 0, commands: [] });

  it('a full send with its estimate, the properties the replica gets', () => {
    const model = reviewModel({ report: report({ datasets: [dataset({ status: 'ready', base: null, destructive: null, steps: [{ kind: 'full', snapshot: 'auto-1' }, { kind: 'incremental', from: 'auto-1', to: 'auto-9', intermediates: true }], newest: 'auto-9' })] }), form, newPeriodicTaskSources: [], periodicScheduleWords: '', now: new Date() });
    expect(model.datasets[0]).toMatchObject({ kind: 'full', summary: 'full send of @auto-1, then 1 incremental step up to @auto-9', estimatedBytes: 1_048_576 });
    expect(model.totalEstimatedBytes).toBe(1_048_576);
    expect(model.destruction).toBeNull();
    expect(model.properties.map((p) => `${p.name}=${p.value}`)).toEqual(['readonly=on', 'compression=zstd', 'mountpoint=(inherited)', 'other properties=as on the source']);
  });

  it('an incremental from a bookmark', () => {
    const model = reviewModel({ report: report({ datasets: [dataset({ status: 'ready', base: 'a', destructive: null, steps: [{ kind: 'incremental', from: '#a', to: 'b', intermediates: false }], newest: 'b' })] }), form, newPeriodicTaskSources: [], periodicScheduleWords: '', now: new Date() });
    expect(model.datasets[0]).toMatchObject({ kind: 'incremental', summary: 'incremental from #a to @b' });
  });

  it('a new periodic task: the task and the first snapshot it takes on Save and run now are listed', () => {
    const now = new Date('2026-12-01T10:15:00Z');
    const model = reviewModel({ report: report({ datasets: [dataset({ status: 'nothing-to-send', reason: 'no snapshot matches', steps: [], base: null }, null)] }), form, newPeriodicTaskSources: ['tank/docs'], periodicScheduleWords: 'Every hour', now });
    expect(model.snapshotsCreated).toEqual(['tank/docs@auto-2026-12-01_10-15']);
    expect(model.periodicTasks).toEqual([{ dataset: 'tank/docs', namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: 'Every hour', lifetime: 'snapshots kept 2 weeks' }]);
    expect(firstSnapshotName('tank/x', 'bad', 'UTC', now)).toBe('tank/x@bad');
  });

  it('a diverged destination: exactly what would be destroyed, with sizes, and the digest', () => {
    const items = [
      { kind: 'snapshot' as const, name: 'backup/docs@local', guid: '42', bytes: 4096, note: 'not on the source' },
      { kind: 'written-data' as const, name: 'backup/docs', guid: '7', bytes: 10_000, note: 'since @auto-1' },
    ];
    const refusal = {
      divergence: [{ dataset: 'tank/docs', divergence: [{ reason: 'newer-snapshots' as const, base: 'auto-1', snapshots: ['local'] }], resolution: { kind: 'rollback' as const, to: 'backup/docs@auto-1' } }],
      destruction: { purpose: 'divergence' as const, taskId: null, connectionId: 'c', host: 'root@nas-b:22', operations: [{ kind: 'rollback' as const, to: 'backup/docs@auto-1', items, command: 'zfs rollback -r backup/docs@auto-1' }], refused: [], reclaimBytes: null, digest: 'd1' },
      wouldLose: ['backup/docs@local (4 KiB)'],
      confirmation: 'd1',
      changes: [],
    };
    const error = { code: 'CONFIRMATION_REQUIRED' as const, message: 'The destination has diverged; replicating would destroy: backup/docs@local', hint: 'run again with this confirmation', details: { confirmation: 'd1', destroys: ['backup/docs@local'], actions: [] } };
    const model = reviewModel({ report: report({ result: 'REFUSED', refusal, error, datasets: [dataset({ status: 'refused', refusal: { divergence: refusal.divergence[0]!.divergence, resolution: refusal.divergence[0]!.resolution }, steps: [] })] }), form, newPeriodicTaskSources: [], periodicScheduleWords: '', now: new Date() });
    expect(model.datasets[0]!.kind).toBe('refused');
    // The refusal is said once, by the destruction card (the engine's "run again with this confirmation" is not the wizard's way).
    expect(model.error).toBeNull();
    expect(model.destruction).toMatchObject({ items, totalBytes: 14_096, confirmation: 'd1', host: 'root@nas-b:22', commands: ['zfs rollback -r backup/docs@auto-1'] });
    expect(sameDestruction(items, [...items].reverse())).toBe(true);
    expect(sameDestruction(items, [items[0]!])).toBe(false);
    expect(sameDestruction(items, [items[0]!, { ...items[1]!, guid: '8' }])).toBe(false);
  });

  it('finds a free child name for "replicate into a new dataset instead"', () => {
    expect(freeChildName('docs', new Set(['backup/docs-2']), 'backup')).toBe('docs-3');
  });
});
