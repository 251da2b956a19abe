import { DAY_MS, HOUR_MS, civilFromDays, daysFromCivil, zoneClock } from '../../../shared/time-zone.ts';

// The timeline's time axis: ticks at round wall-clock times of the zone (every 6 hours, every day, every Monday,
// every month…), as many as fit, each labelled as precisely as its step needs — "12-01 06:00" for hours, "2026-12-01"
// for days, "2026-12" for months. Evenly spaced instants labelled by date alone printed "2026-11-30" three times
// in a row on a 60-hour review.

export interface TimeTick {
  /** The instant (ms since the epoch). */
  at: number;
  label: string;
}

type Step = { kind: 'hour'; n: number } | { kind: 'day'; n: number } | { kind: 'week' } | { kind: 'month'; n: number } | { kind: 'year'; n: number };

const steps: readonly Step[] = [
  ...[1, 2, 3, 6, 12].map((n) => ({ kind: 'hour' as const, n })),
  { kind: 'day', n: 1 },
  { kind: 'day', n: 2 },
  { kind: 'week' },
  ...[1, 3, 6].map((n) => ({ kind: 'month' as const, n })),
  ...[1, 2, 5, 10, 20, 50, 100].map((n) => ({ kind: 'year' as const, n })),
];

const approxMs = (step: Step): number =>
  step.kind === 'hour' ? step.n * HOUR_MS : step.kind === 'day' ? step.n * DAY_MS : step.kind === 'week' ? 7 * DAY_MS : step.kind === 'month' ? step.n * 30.44 * DAY_MS : step.n * 365.25 * DAY_MS;

const pad = (n: number) => String(n).padStart(2, '0');

function label(step: Step, wall: number): string {
  const days = Math.floor(wall / DAY_MS);
  const { year, month, day } = civilFromDays(days);
  const minutes = Math.floor((wall - days * DAY_MS) / 60_000);
  if (step.kind === 'hour') return `${pad(month)}-${pad(day)} ${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
  if (step.kind === 'day' || step.kind === 'week') return `${year}-${pad(month)}-${pad(day)}`;
  if (step.kind === 'month') return `${year}-${pad(month)}`;
  return String(year);
}

/** The wall-clock times (fields encoded as if UTC) of the step's round times from `fromWall` to `toWall`. */
function wallTimes(step: Step, fromWall: number, toWall: number): number[] {
  const out: number[] = [];
  const firstDay = Math.floor(fromWall / DAY_MS);
  if (step.kind === 'hour') {
    const size = step.n * HOUR_MS;
    for (let day = firstDay; day * DAY_MS <= toWall; day++) {
      for (let t = day * DAY_MS; t < (day + 1) * DAY_MS; t += size) if (t >= fromWall && t <= toWall) out.push(t);
    }
  } else if (step.kind === 'day' || step.kind === 'week') {
    // Days counted from the epoch (1970-01-01, a Thursday): every other day, or every Monday (day 4 mod 7).
    const every = step.kind === 'week' ? 7 : step.n;
    const phase = step.kind === 'week' ? 4 : 0;
    let day = firstDay + ((((phase - firstDay) % every) + every) % every);
    for (; day * DAY_MS <= toWall; day += every) if (day * DAY_MS >= fromWall) out.push(day * DAY_MS);
  } else {
    const first = civilFromDays(firstDay);
    const months = step.kind === 'month' ? step.n : step.n * 12;
    let index = first.year * 12 + (first.month - 1);
    index += (((-index) % months) + months) % months;
    for (; ; index += months) {
      const wall = daysFromCivil(Math.floor(index / 12), (index % 12) + 1, 1) * DAY_MS;
      if (wall > toWall) break;
      if (wall >= fromWall) out.push(wall);
    }
  }
  return out;
}

/**
 * Ticks between two instants on the zone's wall clock: the finest round step that gives at most `maxTicks` ticks.
 * A range with no round time inside gets its two ends.
 */
export function timeTicks(from: number, to: number, zone: string, maxTicks: number): TimeTick[] {
  if (!(to > from) || maxTicks < 1) return [];
  const clock = zoneClock(zone);
  const step = steps.find((s) => (to - from) / approxMs(s) <= maxTicks) ?? steps[steps.length - 1]!;
  const ticks = wallTimes(step, clock.wall(from), clock.wall(to))
    .map((wall) => ({ at: clock.instant(wall), label: label(step, wall) }))
    .filter((t) => t.at >= from && t.at <= to);
  if (ticks.length > 0) return ticks;
  const ends: Step = to - from < DAY_MS ? { kind: 'hour', n: 1 } : { kind: 'day', n: 1 };
  return [from, to].map((at) => ({ at, label: label(ends, clock.wall(at)) }));
}
