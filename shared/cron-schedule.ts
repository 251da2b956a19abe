// Five-field cron expressions (minute hour day-of-month month day-of-week), as in crontab(5), for task schedules.
// Used by the scheduler to find the next run and by the UI to show it. Times are evaluated in UTC unless a
// time-zone offset is supplied by the caller.

export interface CronSchedule {
  readonly expression: string;
  /** The first matching minute strictly after `after`. */
  next(after: Date): Date;
  matches(date: Date): boolean;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const fields: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const macros: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

function parseValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  const value = named >= 0 ? named + (spec.name === 'month' ? 1 : 0) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new Error(`"${text}" is not a valid ${spec.name} (${spec.min}-${spec.max}).`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec): { values: Set<number>; wildcard: boolean } {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`"${part}": the step after "/" must be a positive whole number.`);
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec.max;
    } else if (range?.includes('-')) {
      const [a, b] = range.split('-');
      low = parseValue(a ?? '', spec);
      high = parseValue(b ?? '', spec);
      if (low > high) throw new Error(`"${range}": a ${spec.name} range must go from low to high.`);
    } else {
      low = parseValue(range ?? '', spec);
      high = stepText === undefined ? low : spec.max;
    }
    for (let v = low; v <= high; v += step) values.add(spec.name === 'day of week' && v === 7 ? 0 : v);
  }
  return { values, wildcard: text === '*' || text.startsWith('*/') };
}

/** Parses a cron expression or throws an Error whose message says which field is wrong and why. */
export function cronSchedule(expression: string): CronSchedule {
  const normalized = macros[expression.trim().toLowerCase()] ?? expression.trim();
  const parts = normalized.split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(`A schedule needs five fields (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *"; got "${expression}".`);
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek] = parts.map((part, i) => parseField(part, fields[i]!)) as [
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
    ReturnType<typeof parseField>,
  ];

  const dayMatches = (date: Date) => {
    const dom = dayOfMonth.values.has(date.getUTCDate());
    const dow = dayOfWeek.values.has(date.getUTCDay());
    // crontab(5): when both day fields are restricted, either may match.
    if (!dayOfMonth.wildcard && !dayOfWeek.wildcard) return dom || dow;
    return dom && dow;
  };
  const matches = (date: Date) =>
    minute.values.has(date.getUTCMinutes()) && hour.values.has(date.getUTCHours()) && month.values.has(date.getUTCMonth() + 1) && dayMatches(date);

  const next = (after: Date): Date => {
    const candidate = new Date(after.getTime());
    candidate.setUTCSeconds(0, 0);
    candidate.setUTCMinutes(candidate.getUTCMinutes() + 1);
    // Skip whole days, then hours, then minutes: at most a few thousand steps for any valid expression.
    const limit = candidate.getTime() + 5 * 366 * 24 * 3600_000;
    while (candidate.getTime() <= limit) {
      if (!month.values.has(candidate.getUTCMonth() + 1) || !dayMatches(candidate)) {
        candidate.setUTCDate(candidate.getUTCDate() + 1);
        candidate.setUTCHours(0, 0, 0, 0);
        continue;
      }
      if (!hour.values.has(candidate.getUTCHours())) {
        candidate.setUTCHours(candidate.getUTCHours() + 1, 0, 0, 0);
        continue;
      }
      if (!minute.values.has(candidate.getUTCMinutes())) {
        candidate.setUTCMinutes(candidate.getUTCMinutes() + 1, 0, 0);
        continue;
      }
      return candidate;
    }
    throw new Error(`"${expression}" never matches a date (e.g. 30 February).`);
  };

  return { expression, next, matches };
}
