import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil, formatInZone, isTimeZone, TimeZoneSchema, zoneClock } from '../../../shared/time-zone.ts';

// The cached zone clock against Intl asked directly, on zones with odd offsets and odd transitions.

function intlOffset(zone: string, utc: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(utc);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second')) - Math.floor(utc / 1000) * 1000;
}

describe('zone clock', () => {
  // Paris and New York (DST both ways), Lord Howe (a 30-minute DST), Kathmandu (+05:45), St John's (-03:30),
  // Apia (skipped 2011-12-30 entirely), Kolkata (no DST).
  const zones = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Apia', 'Asia/Kolkata'];

  it.each(zones)('%s: offsets equal Intl at 3,000 instants from 2000 to 2040, transitions to the minute', (zone) => {
    const clock = zoneClock(zone);
    const start = Date.UTC(2000, 0, 1);
    const span = Date.UTC(2040, 0, 1) - start;
    for (let i = 0; i < 3000; i++) {
      const utc = start + Math.floor(((i * 104_729) % 3000) / 3000 * span / 60_000) * 60_000;
      expect(clock.offset(utc), `${zone} ${new Date(utc).toISOString()}`).toBe(intlOffset(zone, utc));
    }
  });

  it('finds a transition to the minute and reads wall-clock times around it', () => {
    const paris = zoneClock('Europe/Paris');
    // 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST.
    expect(paris.offset(Date.UTC(2026, 2, 29, 0, 59))).toBe(3_600_000);
    expect(paris.offset(Date.UTC(2026, 2, 29, 1, 0))).toBe(7_200_000);
    expect(new Date(paris.instant(Date.UTC(2026, 2, 29, 1, 30))).toISOString()).toBe('2026-03-29T00:30:00.000Z');
    expect(new Date(paris.instant(Date.UTC(2026, 2, 29, 2, 30))).toISOString()).toBe('2026-03-29T01:30:00.000Z'); // the gap
    expect(new Date(paris.instant(Date.UTC(2026, 9, 25, 2, 30))).toISOString()).toBe('2026-10-25T00:30:00.000Z'); // repeated: the first
    expect(formatInZone(Date.UTC(2026, 9, 25, 1, 30), 'Europe/Paris')).toBe('2026-10-25 02:30');
    // Lord Howe moves by 30 minutes: 02:00 LHST becomes 02:30 LHDT on 2026-10-04.
    const lordHowe = zoneClock('Australia/Lord_Howe');
    expect(lordHowe.offset(Date.UTC(2026, 9, 3, 15, 29)) - lordHowe.offset(Date.UTC(2026, 9, 3, 15, 31))).toBe(-1_800_000);
  });

  it('day numbers and civil dates agree with Date from 1900 to 2400', () => {
    for (let day = daysFromCivil(1900, 1, 1); day < daysFromCivil(2400, 1, 1); day += 37) {
      const date = new Date(day * 86_400_000);
      expect(civilFromDays(day)).toEqual({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() });
      expect(daysFromCivil(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())).toBe(day);
    }
  });

  it('refuses what is not a zone with a sentence', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('Europe/Atlantis')).toBe(false);
    expect(isTimeZone('x'.repeat(65))).toBe(false);
    expect(TimeZoneSchema.safeParse('Mars/Olympus').error?.issues[0]?.message).toBe('Not a time zone this app knows: use an IANA name such as Europe/Paris, America/New_York or UTC.');
    expect(() => zoneClock('Mars/Olympus')).toThrow('"Mars/Olympus" is not a time zone');
  });
});
