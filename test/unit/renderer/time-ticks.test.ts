import { describe, expect, it } from 'vitest';
import { timeTicks } from '../../../renderer/features/retention/time-ticks.ts';

const at = (iso: string) => Date.parse(iso);

describe('timeTicks: the retention timeline axis', () => {
  it('a 60-hour review gets hour ticks labelled with their hour, never the same date three times', () => {
    const ticks = timeTicks(at('2026-11-29T14:00Z'), at('2026-12-02T03:00Z'), 'UTC', 8);
    // 61 hours in at most 8 ticks: every 12 hours (every 6 would be 10).
    expect(ticks.map((t) => t.label)).toEqual(['11-30 00:00', '11-30 12:00', '12-01 00:00', '12-01 12:00', '12-02 00:00']);
    expect(timeTicks(at('2026-11-29T14:00Z'), at('2026-12-02T03:00Z'), 'UTC', 12).map((t) => t.label)).toContain('11-29 18:00');
  });

  it('ticks fall on round times of the zone, not of UTC', () => {
    const ticks = timeTicks(at('2026-11-29T00:00Z'), at('2026-12-05T00:00Z'), 'Asia/Kolkata', 10);
    expect(ticks[0]!.label).toBe('2026-11-30');
    // Midnight in Kolkata (UTC+05:30) is 18:30 UTC the day before.
    expect(new Date(ticks[0]!.at).toISOString()).toBe('2026-11-29T18:30:00.000Z');
  });

  it('weeks start on Mondays, months on the 1st, years on 1 January', () => {
    const weeks = timeTicks(at('2026-10-01T00:00Z'), at('2026-12-20T00:00Z'), 'UTC', 12);
    expect(weeks.map((t) => new Date(t.at).getUTCDay())).toEqual(weeks.map(() => 1));
    const months = timeTicks(at('2025-01-15T00:00Z'), at('2026-06-15T00:00Z'), 'UTC', 20);
    expect(months[0]!.label).toBe('2025-02');
    expect(months.every((t) => new Date(t.at).getUTCDate() === 1)).toBe(true);
    const years = timeTicks(at('2000-06-01T00:00Z'), at('2026-06-01T00:00Z'), 'UTC', 6);
    expect(years.map((t) => t.label)).toEqual(['2005', '2010', '2015', '2020', '2025']);
  });

  it('a range with no round time inside shows its two ends; an empty range shows nothing', () => {
    expect(timeTicks(at('2026-12-01T10:10Z'), at('2026-12-01T10:40Z'), 'UTC', 5).map((t) => t.label)).toEqual(['12-01 10:10', '12-01 10:40']);
    expect(timeTicks(5, 5, 'UTC', 5)).toEqual([]);
  });
});
