import { describe, expect, it } from 'vitest';
import { median, weekRuns, type CalendarTask } from '../../../renderer/features/calendar/calendar-model.ts';

const from = Date.UTC(2026, 11, 7); // a Monday
const to = from + 7 * 86_400_000;
const task = (id: string, expression: string, typicalMs: number | null, connectionIds = ['a']): CalendarTask => ({ id, name: id, kind: 'replication', connectionIds, expression, timeZone: 'UTC', typicalMs });

describe('the schedule calendar model', () => {
  it('lists the runs of a week with their typical duration', () => {
    const runs = weekRuns([task('nightly', '0 2 * * *', 20 * 60_000)], from, to);
    expect(runs).toHaveLength(7);
    expect(runs[0]).toMatchObject({ start: from + 2 * 3_600_000, end: from + 2 * 3_600_000 + 20 * 60_000, overlaps: [], overruns: false });
  });

  it('flags runs that overlap on a shared NAS, and runs that last past their next start', () => {
    const runs = weekRuns([task('a', '0 2 * * *', 30 * 60_000), task('b', '15 2 * * *', 60_000), task('c', '15 2 * * *', 60_000, ['elsewhere']), task('slow', '0 * * * *', 90 * 60_000, ['z'])], from, to);
    const first = (id: string) => runs.find((r) => r.taskId === id)!;
    expect(first('a').overlaps).toEqual(['b']);
    expect(first('b').overlaps).toEqual(['a']);
    expect(first('c').overlaps).toEqual([]);
    expect(first('slow').overruns).toBe(true);
    expect(first('a').overruns).toBe(false);
  });

  it('takes the median of the history', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
