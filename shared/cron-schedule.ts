import { Cron } from 'croner';
import cronstrue from 'cronstrue';
import { DAY_MS, zoneClock } from './time-zone.ts';

// Five-field cron expressions (minute hour day-of-month month day-of-week, as crontab(5)) evaluated by croner in
// an IANA time zone, described in plain English by cronstrue. croner also reads 6- and 7-field expressions
// (seconds, years): a task schedule is refused with a sentence instead, so what the admin typed means what cron
// would mean. When both day fields are restricted either may match (crontab(5)); croner's default does the same.
// Daylight saving: a time the spring-forward skips runs at the first instant after the gap; in the hour a
// fall-back repeats, a time runs once.
// croner costs tens to hundreds of microseconds per run with a time zone: a projection over months of a 5-minute
// schedule (50,000 runs) would take seconds. When the day-of-month and month fields are "*", the runs repeat every
// day (or every week, with a day-of-week) on the wall clock, so estimateRunsBetween asks croner for one period on a
// UTC wall clock and repeats it, converting each wall-clock time to its instant. That is exact except around a
// daylight-saving change: a time in a spring-forward gap lands as far after the gap as it was into it (croner runs it
// at the gap's end), and a fall-back's repeated hour runs once (croner runs wildcard hours twice).

export interface CronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  /** The first run strictly after `after`. Throws when the expression never matches again. */
  next(after: Date): Date;
  /** Up to `count` runs strictly after `after`, in order. */
  nextRuns(count: number, after: Date): Date[];
  /** Runs in (from, to], at most `limit` of them (the calendar). */
  runsBetween(from: Date, to: Date, limit?: number): Date[];
  /**
   * runsBetween, fast and exact except around daylight-saving changes (see the top): for projections over months.
   */
  estimateRunsBetween(from: Date, to: Date, limit?: number): Date[];
  /** "At 02:00, only on Sunday". */
  describe(): string;
}

const fields = [
  { name: 'minute', allowed: '0-59' },
  { name: 'hour', allowed: '0-23' },
  { name: 'day-of-month', allowed: '1-31 (or L for the last day)' },
  { name: 'month', allowed: '1-12 or jan-dec' },
  { name: 'day-of-week', allowed: '0-7 or sun-sat (0 and 7 are Sunday)' },
] as const;

const macros: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const example = 'e.g. "0 2 * * *" for 02:00 every day or "*/15 * * * *" for every 15 minutes';

/** Thrown for an expression a schedule cannot use; the message is meant for the admin. */
export class CronExpressionError extends Error {
  override name = 'CronExpressionError';
}

function expand(expression: string): string {
  const trimmed = expression.trim();
  return macros[trimmed.toLowerCase()] ?? trimmed.split(/\s+/).join(' ');
}

function newCron(expression: string, timeZone: string): Cron {
  return new Cron(expression, { timezone: timeZone, paused: true });
}

// croner's messages name its internals ("CronPattern: Syntax error, illegal stepping: 0"): say it in the
// field's words instead.
function fieldProblem(index: number, text: string, cronerMessage: string): string {
  const field = fields[index]!;
  const step = /\/(.*)$/.exec(text)?.[1];
  let why: string;
  if (/steps cannot be greater/i.test(cronerMessage)) why = `the step after "/" (${step}) is larger than the field's range`;
  else if (/illegal stepping/i.test(cronerMessage)) why = 'the step after "/" must be a whole number of 1 or more';
  else if (/larger than to value/i.test(cronerMessage)) why = 'a range must go from low to high, e.g. 1-5';
  else if (/^\d+$/.test(text)) why = `${text} is outside ${field.allowed}`;
  else why = 'cron does not understand it';
  return `"${text}" is not a valid ${field.name} (field ${index + 1} of 5): ${why}. Allowed: ${field.allowed}, "*", lists (1,15), ranges (1-5) and steps (*/15).`;
}

// Schemas check every stored task's schedule and the scheduler asks for next runs every tick: remember answers.
const checked = new Map<string, string | null>();
const schedules = new Map<string, CronSchedule>();
function remember<T>(cache: Map<string, T>, key: string, compute: () => T): T {
  if (cache.has(key)) return cache.get(key) as T;
  const value = compute();
  if (cache.size >= 500) cache.clear();
  cache.set(key, value);
  return value;
}

/** The first problem of an expression as a sentence, or null when a schedule can use it. */
export function checkCronExpression(expression: string, timeZone: string = 'UTC'): string | null {
  return remember(checked, `${timeZone}\u0000${expression}`, () => firstProblem(expression, timeZone));
}

function firstProblem(expression: string, timeZone: string): string | null {
  if (expression.length > 256) return 'A schedule is at most 256 characters; ' + example + '.';
  const expanded = expand(expression);
  if (expanded === '') return `Enter a schedule, ${example}.`;
  if (expanded.startsWith('@')) return `"${expression.trim()}" is not a schedule cron knows: use @hourly, @daily, @weekly, @monthly or @yearly, or five fields, ${example}.`;
  const parts = expanded.split(' ');
  if (parts.length !== 5) {
    const extra = parts.length === 6 ? ' (seconds are not supported)' : parts.length === 7 ? ' (seconds and years are not supported)' : '';
    return `A schedule has five fields (minute hour day-of-month month day-of-week), ${example}; this one has ${parts.length}${extra}.`;
  }
  // Find the field at fault by checking each one alone against "*" elsewhere.
  for (let i = 0; i < 5; i++) {
    const alone = parts.map((part, j) => (j === i ? part : '*')).join(' ');
    try {
      newCron(alone, 'UTC');
    } catch (error) {
      return fieldProblem(i, parts[i]!, (error as Error).message);
    }
  }
  let cron: Cron;
  try {
    cron = newCron(expanded, timeZone);
  } catch (error) {
    return `"${expression.trim()}" is not a schedule cron understands (${(error as Error).message.replace(/^CronPattern:\s*/, '')}); ${example}.`;
  }
  // Searching from 2000 finds every date that exists at all (29 February included).
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) return `"${expression.trim()}" never matches a date, so it would never run (e.g. 30 February).`;
  return null;
}

/** "At 02:00, only on Sunday" (24-hour clock). Throws CronExpressionError for an expression a schedule cannot use. */
export function describeCron(expression: string): string {
  const problem = checkCronExpression(expression);
  if (problem) throw new CronExpressionError(problem);
  return cronstrue.toString(expand(expression), { use24HourTimeFormat: true, throwExceptionOnParseError: true });
}

/** A schedule evaluated in `timeZone` (IANA). Throws CronExpressionError whose message says what to fix. */
export function cronSchedule(expression: string, timeZone: string = 'UTC'): CronSchedule {
  return remember(schedules, `${timeZone}\u0000${expression}`, () => buildSchedule(expression, timeZone));
}

function buildSchedule(expression: string, timeZone: string): CronSchedule {
  const problem = checkCronExpression(expression, timeZone);
  if (problem) throw new CronExpressionError(problem);
  const expanded = expand(expression);
  const cron = newCron(expanded, timeZone);
  const after = (date: Date): Date | null => cron.nextRun(date);
  return {
    expression,
    timeZone,
    next(date) {
      const run = after(date);
      if (!run) throw new CronExpressionError(`"${expression}" has no run after ${date.toISOString()}.`);
      return run;
    },
    nextRuns(count, date) {
      const runs: Date[] = [];
      let cursor: Date | null = date;
      while (runs.length < count && (cursor = after(cursor))) runs.push(cursor);
      return runs;
    },
    runsBetween(from, to, limit = 100_000) {
      const runs: Date[] = [];
      let cursor: Date | null = from;
      while (runs.length < limit && (cursor = after(cursor)) && cursor.getTime() <= to.getTime()) runs.push(cursor);
      return runs;
    },
    estimateRunsBetween(from, to, limit = 100_000) {
      const [, , dayOfMonth, month, dayOfWeek] = expanded.split(' ');
      if (dayOfMonth === '*' && month === '*') return periodicRuns(expanded, dayOfWeek === '*' ? DAY_MS : 7 * DAY_MS, timeZone, from, to, limit);
      return this.runsBetween(from, to, limit);
    },
    describe: () => cronstrue.toString(expanded, { use24HourTimeFormat: true }),
  };
}

/** Runs in (from, to] of an expression whose runs repeat every `period` on the wall clock (see the top). */
function periodicRuns(expression: string, period: number, timeZone: string, from: Date, to: Date, limit: number): Date[] {
  const clock = zoneClock(timeZone);
  const wallFrom = clock.wall(from.getTime());
  // Any whole period is the pattern: start at midnight of the first wall-clock day.
  const start = Math.floor(wallFrom / DAY_MS) * DAY_MS;
  const onWallClock = new Cron(expression, { timezone: 'UTC', paused: true });
  const offsets: number[] = [];
  let cursor: Date | null = new Date(start - 1);
  while ((cursor = onWallClock.nextRun(cursor)) && cursor.getTime() < start + period) offsets.push(cursor.getTime() - start);
  const runs: Date[] = [];
  if (offsets.length === 0) return runs;
  let last = from.getTime();
  for (let base = start; runs.length < limit; base += period) {
    for (const offset of offsets) {
      const instant = clock.instant(base + offset);
      if (instant <= last) continue;
      if (instant > to.getTime() || runs.length >= limit) return runs;
      runs.push(new Date(instant));
      last = instant;
    }
  }
  return runs;
}
