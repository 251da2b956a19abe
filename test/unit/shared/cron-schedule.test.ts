import { describe, expect, it } from 'vitest';
import { checkCronExpression, cronSchedule, describeCron } from '../../../shared/cron-schedule.ts';
import { ScheduleSchema } from '../../../shared/task-schemas.ts';

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
    ['*/70 * * * *', '"*/70" is not a valid minute (field 1 of 5): the step after "/" (70) is larger'],
    ['0 0 * * * *', 'this one has 6 (seconds are not supported)'],
    ['0 0 1 1 * 2030', 'this one has 6'],
    ['every day at noon', 'five fields'],
    ['@reboot', 'use @hourly, @daily'],
    ['0 0 * foo *', '"foo" is not a valid month (field 4 of 5)'],
    ['61 * * * *', '"61" is not a valid minute (field 1 of 5): 61 is outside 0-59'],
    ['', 'Enter a schedule'],
  ])('%j is refused with a message naming the problem', (expression, message) => {
    expect(() => cronSchedule(expression).next(at('2026-01-01T00:00:00Z'))).toThrow(message);
    expect(ScheduleSchema.safeParse({ kind: 'cron', expression }).error?.issues[0]?.message).toContain(message);
  });

  it('runs in the NAS time zone, across daylight saving (croner)', () => {
    const paris = cronSchedule('0 2 * * *', 'Europe/Paris');
    expect(paris.next(at('2026-11-22T00:00:00Z')).toISOString()).toBe('2026-11-22T01:00:00.000Z'); // 02:00 CET
    expect(paris.next(at('2026-06-30T12:00:00Z')).toISOString()).toBe('2026-07-01T00:00:00.000Z'); // 02:00 CEST
    // 2026-03-29 has no 02:30 in Paris: that run happens at the first instant after the gap (03:00 CEST).
    expect(cronSchedule('30 2 * * *', 'Europe/Paris').nextRuns(2, at('2026-03-28T12:00:00Z')).map((d) => d.toISOString())).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 2026-10-25 repeats 02:30 in Paris: it runs once.
    expect(cronSchedule('30 2 * * *', 'Europe/Paris').nextRuns(2, at('2026-10-24T12:00:00Z')).map((d) => d.toISOString())).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // Every hour over the fall-back: 25 runs on that day.
    expect(cronSchedule('0 * * * *', 'Europe/Paris').runsBetween(at('2026-10-24T21:59:00Z'), at('2026-10-25T22:59:00Z'))).toHaveLength(25);
    expect(ScheduleSchema.safeParse({ kind: 'cron', expression: '0 2 * * *', timeZone: 'Europe/Pariss' }).success).toBe(false);
  });

  it('estimates runs over months fast by repeating one day or week of the wall clock; exact away from DST changes', () => {
    const from = at('2026-01-01T00:00:00Z');
    const to = at('2026-03-01T00:00:00Z');
    const cases = [
      ['*/5 * * * *', 'Europe/Paris', at('2026-01-04T00:00:00Z')],
      ['0 9-17 * * mon-fri', 'America/New_York', to],
      ['0 2 1 * *', 'UTC', to],
      ['15 */3 * * sun', 'Asia/Kolkata', to],
    ] as const;
    for (const [expression, zone, end] of cases) {
      const schedule = cronSchedule(expression, zone);
      expect(schedule.estimateRunsBetween(from, end).map((d) => d.getTime()), expression).toEqual(schedule.runsBetween(from, end).map((d) => d.getTime()));
    }
    // Over the fall-back the repeated hour runs once: one run fewer than croner's 25 that day.
    expect(cronSchedule('0 * * * *', 'Europe/Paris').estimateRunsBetween(at('2026-10-24T21:59:00Z'), at('2026-10-25T22:59:00Z'))).toHaveLength(24);
    expect(cronSchedule('*/5 * * * *').estimateRunsBetween(from, to, 10)).toHaveLength(10);
  });

  it('says the schedule in plain English (cronstrue), 24-hour clock', () => {
    expect(describeCron('0 2 * * *')).toBe('At 02:00');
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes');
    expect(describeCron('@weekly')).toBe('At 00:00, only on Sunday');
    expect(cronSchedule('0 9-17 * * mon-fri').describe()).toBe('Every hour, between 09:00 and 17:00, Monday through Friday');
    expect(() => describeCron('*/70 * * * *')).toThrow('minute');
    expect(checkCronExpression('0 0 29 2 *')).toBeNull();
  });
});
