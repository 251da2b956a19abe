import { describe, expect, it } from 'vitest';
import { cronSchedule } from '../../../shared/cron-schedule.ts';

const at = (iso: string) => new Date(iso);

describe('cronSchedule', () => {
  it('every 5 minutes (the retadm cron line)', () => {
    const schedule = cronSchedule('*/5 * * * *');
    expect(schedule.next(at('2026-11-22T10:03:30Z')).toISOString()).toBe('2026-11-22T10:05:00.000Z');
    expect(schedule.next(at('2026-11-22T10:05:00Z')).toISOString()).toBe('2026-11-22T10:10:00.000Z');
    expect(schedule.next(at('2026-11-22T23:58:00Z')).toISOString()).toBe('2026-11-23T00:00:00.000Z');
  });

  it('lists, ranges, names and macros', () => {
    expect(cronSchedule('0 9-17/4 * * mon-fri').next(at('2026-11-21T12:00:00Z')).toISOString()).toBe('2026-11-23T09:00:00.000Z'); // Saturday -> Monday
    expect(cronSchedule('30 2 1,15 * *').next(at('2026-11-15T02:30:00Z')).toISOString()).toBe('2026-12-01T02:30:00.000Z');
    expect(cronSchedule('@daily').next(at('2026-12-31T12:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(cronSchedule('0 0 * * 7').next(at('2026-11-22T00:00:00Z')).toISOString()).toBe('2026-11-29T00:00:00.000Z'); // 7 = Sunday
  });

  it('both day fields restricted: either matches (crontab(5))', () => {
    // The 13th or any Friday.
    expect(cronSchedule('0 0 13 * fri').next(at('2026-11-22T00:00:00Z')).toISOString()).toBe('2026-11-27T00:00:00.000Z');
  });

  it('leap day', () => {
    expect(cronSchedule('0 0 29 2 *').next(at('2026-03-01T00:00:00Z')).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it.each([
    ['* * * *', 'five fields'],
    ['60 * * * *', 'minute'],
    ['* 24 * * *', 'hour'],
    ['*/0 * * * *', 'step'],
    ['5-1 * * * *', 'low to high'],
    ['0 0 30 2 *', 'never matches'],
  ])('%j is refused with a message naming the problem', (expression, message) => {
    expect(() => cronSchedule(expression).next(at('2026-01-01T00:00:00Z'))).toThrow(message);
  });
});
