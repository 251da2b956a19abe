import { checkCronExpression, cronSchedule, describeCron } from '../../../shared/cron-schedule.ts';
import type { Schedule } from '../../../shared/task-schemas.ts';
import { formatInZone } from '../../../shared/time-zone.ts';

// The wizard's "When": run once, hourly, daily, weekly, monthly or a cron expression, each made into the five-field
// cron expression the task stores, read in the admin's time zone; described in words (cronstrue) with the next runs
// (croner), so "daily at 01:00" is seen to mean what the admin thinks before it is saved.

export const schedulePresets = ['once', 'hourly', 'daily', 'weekly', 'monthly', 'custom'] as const;
export type SchedulePreset = (typeof schedulePresets)[number];

export interface ScheduleFields {
  preset: SchedulePreset;
  /** hourly: the minute past each hour. */
  minute: number;
  /** daily, weekly, monthly: "HH:MM". */
  time: string;
  /** weekly: 0 (Sunday) … 6. */
  weekday: number;
  /** monthly: 1 … 28 (every month has it). */
  monthDay: number;
  /** custom: five cron fields. */
  cron: string;
  /** IANA zone the expression is read in. */
  timeZone: string;
}

export const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;

function parseTime(time: string): { hour: number; minute: number } | null {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!match) return null;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  return hour <= 23 && minute <= 59 ? { hour, minute } : null;
}

/** The cron expression of a preset; null for "once"; for an unusable time, an expression the schema refuses. */
export function cronOf(fields: ScheduleFields): string | null {
  const t = parseTime(fields.time);
  const at = t ? `${t.minute} ${t.hour}` : `${fields.time.trim() || '?'} ?`;
  switch (fields.preset) {
    case 'once':
      return null;
    case 'hourly':
      return `${fields.minute} * * * *`;
    case 'daily':
      return `${at} * * *`;
    case 'weekly':
      return `${at} * * ${fields.weekday}`;
    case 'monthly':
      return `${at} ${fields.monthDay} * *`;
    case 'custom':
      return fields.cron.trim();
  }
}

export function scheduleOf(fields: ScheduleFields): Schedule {
  const expression = cronOf(fields);
  return expression === null ? { kind: 'manual' } : { kind: 'cron', expression, timeZone: fields.timeZone };
}

/** A stored schedule back in the wizard's terms (a simple expression becomes its preset; anything else is custom). */
export function schedulePresetOf(schedule: Schedule, fallbackZone: string): ScheduleFields {
  const base: ScheduleFields = { preset: 'once', minute: 0, time: '01:00', weekday: 0, monthDay: 1, cron: '0 1 * * *', timeZone: fallbackZone };
  if (schedule.kind === 'manual') return base;
  const fields = { ...base, cron: schedule.expression, timeZone: schedule.timeZone ?? 'UTC' };
  const parts = schedule.expression.trim().split(/\s+/);
  const num = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
  if (parts.length !== 5) return { ...fields, preset: 'custom' };
  const [mi, h, dom, mon, dow] = parts as [string, string, string, string, string];
  const minute = num(mi);
  const hour = num(h);
  const time = minute !== null && hour !== null && minute < 60 && hour < 24 ? `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}` : null;
  if (minute !== null && minute < 60 && h === '*' && dom === '*' && mon === '*' && dow === '*') return { ...fields, preset: 'hourly', minute };
  if (time && dom === '*' && mon === '*' && dow === '*') return { ...fields, preset: 'daily', time };
  if (time && dom === '*' && mon === '*' && num(dow) !== null && num(dow)! <= 6) return { ...fields, preset: 'weekly', time, weekday: num(dow)! };
  if (time && num(dom) !== null && num(dom)! <= 28 && mon === '*' && dow === '*') return { ...fields, preset: 'monthly', time, monthDay: num(dom)! };
  return { ...fields, preset: 'custom' };
}

export interface ScheduleSummary {
  /** "At 01:00" or "Only when started (Run now, the CLI, or an external cron)". */
  description: string;
  /** The next runs, formatted in the schedule's zone ("2026-12-02 01:00"). */
  nextRuns: string[];
  /** Why the expression cannot be used; null when it can. */
  problem: string | null;
}

/** The plain-English description and the next `count` runs after `now`, in the schedule's time zone. */
export function summarizeSchedule(fields: ScheduleFields, now: Date, count = 5): ScheduleSummary {
  const expression = cronOf(fields);
  if (expression === null) return { description: 'Only when started: Save and run now, Run now on the dashboard, or the CLI.', nextRuns: [], problem: null };
  if (fields.preset !== 'custom' && !parseTime(fields.time) && fields.preset !== 'hourly') {
    return { description: '', nextRuns: [], problem: 'Enter a time as HH:MM on a 24-hour clock, e.g. 01:00 or 23:30.' };
  }
  const problem = checkCronExpression(expression, fields.timeZone);
  if (problem) return { description: '', nextRuns: [], problem };
  try {
    const schedule = cronSchedule(expression, fields.timeZone);
    const runs = schedule.nextRuns(count, now).map((d) => formatInZone(d.getTime(), fields.timeZone));
    return { description: describeCron(expression), nextRuns: runs, problem: null };
  } catch (error) {
    return { description: '', nextRuns: [], problem: error instanceof Error ? error.message : String(error) };
  }
}
