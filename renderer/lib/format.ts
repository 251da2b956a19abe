export { formatBytes } from '../../shared/format-bytes.ts';

// How numbers, durations and times read in the UI.

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", "in 2 hours". */
export function formatRelative(iso: string | number | Date, now: number = Date.now()): string {
  const at = new Date(iso).getTime();
  const seconds = Math.round((at - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return seconds <= 0 ? 'just now' : 'in a few seconds';
  if (abs < 45 * 60) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 22 * 3600) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

// 24-hour, as the snapshot names, schedules and logs are written: "Dec 2, 2026, 14:05", never "2:05 PM".
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', hourCycle: 'h23' });

export function formatDateTime(iso: string | number | Date): string {
  return dateTime.format(new Date(iso));
}

/** "1 pool", "3 pools". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
