import { z } from 'zod';

// IANA time zones with nothing but Intl (shared/ runs in the renderer too). Retention buckets ("the newest snapshot
// of each day"), lifetimes ("one month later") and snapshot names are read on the NAS's wall clock, for up to
// 100,000 snapshots per decision: an Intl call costs microseconds, so the zone's offset is asked once per UTC day
// seen and cached; a day whose start and end differ holds a transition, found by bisection to the minute.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A time zone Intl knows, e.g. "Europe/Paris" or "UTC"; refused with a sentence a person understands. */
export const TimeZoneSchema = z
  .string()
  .trim()
  .min(1, 'Enter a time zone, e.g. Europe/Paris or UTC.')
  .max(64, 'A time zone name is at most 64 characters, e.g. America/Argentina/Buenos_Aires.')
  .refine(isTimeZone, { message: 'Not a time zone this app knows: use an IANA name such as Europe/Paris, America/New_York or UTC.' });

export function isTimeZone(name: string): boolean {
  if (name.length === 0 || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The zone this process runs in (the renderer: the admin's desktop), e.g. "Europe/Paris". */
export function localTimeZone(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export interface ZoneClock {
  readonly zone: string;
  /** Milliseconds to add to a UTC instant to read the zone's wall clock at that instant. */
  offset(utc: number): number;
  /** The wall-clock time (fields encoded as if UTC) at `utc`. */
  wall(utc: number): number;
  /**
   * The instant a wall-clock time (fields encoded as if UTC) names. In the hour a fall-back repeats, the earlier
   * instant; in the hour a spring-forward skips, the wall time read with the offset before the gap (02:30 → 03:30).
   */
  instant(wall: number): number;
}

type DayOffsets = number | { at: number; before: number; after: number };

const fixedUtc: ZoneClock = { zone: 'UTC', offset: () => 0, wall: (utc) => utc, instant: (wall) => wall };
const clocks = new Map<string, ZoneClock>();

/** One clock per zone, shared: its cache is what makes 100,000 conversions cheap. */
export function zoneClock(zone: string = 'UTC'): ZoneClock {
  if (zone === 'UTC' || zone === 'Etc/UTC') return fixedUtc;
  let clock = clocks.get(zone);
  if (!clock) {
    clock = createClock(zone);
    clocks.set(zone, clock);
  }
  return clock;
}

function createClock(zone: string): ZoneClock {
  let formatter: Intl.DateTimeFormat;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw new RangeError(`"${zone}" is not a time zone: use an IANA name such as Europe/Paris or UTC.`);
  }
  const exactOffset = (utc: number): number => {
    const second = Math.floor(utc / 1000) * 1000;
    let year = 1970, month = 1, day = 1, hour = 0, minute = 0, secondOfMinute = 0;
    for (const part of formatter.formatToParts(second)) {
      switch (part.type) {
        case 'year': year = Number(part.value); break;
        case 'month': month = Number(part.value); break;
        case 'day': day = Number(part.value); break;
        case 'hour': hour = Number(part.value); break;
        case 'minute': minute = Number(part.value); break;
        case 'second': secondOfMinute = Number(part.value); break;
      }
    }
    return Date.UTC(year, month - 1, day, hour, minute, secondOfMinute) - second;
  };

  const startOffsets = new Map<number, number>();
  const days = new Map<number, DayOffsets>();
  const offsetAtDayStart = (day: number): number => {
    let value = startOffsets.get(day);
    if (value === undefined) {
      value = exactOffset(day * DAY_MS);
      startOffsets.set(day, value);
    }
    return value;
  };
  const dayOffsets = (day: number): DayOffsets => {
    const before = offsetAtDayStart(day);
    const after = offsetAtDayStart(day + 1);
    // Zones change at most once a day; a day that starts and ends on the same offset has none.
    if (before === after) return before;
    let low = day * DAY_MS; // offset(low) === before
    let high = low + DAY_MS; // offset(high) === after
    while (high - low > 60_000) {
      const middle = low + Math.floor((high - low) / 120_000) * 60_000;
      if (exactOffset(middle) === before) low = middle;
      else high = middle;
    }
    return { at: high, before, after };
  };
  const offset = (utc: number): number => {
    const day = Math.floor(utc / DAY_MS);
    let info = days.get(day);
    if (info === undefined) {
      // A long-running process sees a bounded number of days; start over rather than grow without end.
      if (days.size > 200_000) {
        days.clear();
        startOffsets.clear();
      }
      info = dayOffsets(day);
      days.set(day, info);
    }
    return typeof info === 'number' ? info : utc < info.at ? info.before : info.after;
  };
  const instant = (wall: number): number => {
    // The wall clock is within a day of the instant, so the offsets a day either side bound every candidate.
    const before = offset(wall - DAY_MS);
    const after = offset(wall + DAY_MS);
    const first = wall - before;
    if (before === after) return first;
    const second = wall - after;
    const firstValid = offset(first) === before;
    const secondValid = offset(second) === after;
    if (firstValid && secondValid) return Math.min(first, second);
    if (secondValid) return second;
    return first;
  };
  return { zone, offset, wall: (utc) => utc + offset(utc), instant };
}

// Calendar fields of a day number (days since 1970-01-01), without a Date: H. Hinnant's civil_from_days.
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yoe + (month <= 2 ? 1 : 0), month, day };
}

/** Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil): Date.UTC without its cost. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** "2026-11-21 10:00" on the zone's wall clock (what an admin reads next to a snapshot name). */
export function formatInZone(utc: number, zone: string = 'UTC', options: { seconds?: boolean } = {}): string {
  const wall = new Date(zoneClock(zone).wall(utc));
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = `${wall.getUTCFullYear()}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())} ${pad(wall.getUTCHours())}:${pad(wall.getUTCMinutes())}`;
  return options.seconds ? `${text}:${pad(wall.getUTCSeconds())}` : text;
}
