import { ChevronLeft, ChevronRight, TriangleAlert } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { checkCronExpression, cronSchedule, describeCron } from '../../../shared/cron-schedule.ts';
import { formatInZone, isTimeZone, localTimeZone, zoneClock, DAY_MS } from '../../../shared/time-zone.ts';
import { Button, IconButton } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { formatMs, plural } from '../../lib/format.ts';
import { navigate } from '../../lib/navigation.ts';
import { request } from '../../lib/request.ts';
import { useFleet } from '../fleet/fleet-store.ts';
import { useSettings } from '../settings/settings-store.ts';
import { useSnapshots } from '../snapshots/snapshots-store.ts';
import { median, weekRuns, type CalendarRun, type CalendarTask } from './calendar-model.ts';
import '../snapshots/snapshots.css';

// The schedule calendar: a week of every scheduled replication and snapshot run across all NAS boxes, on this
// computer's wall clock, each drawn as long as its typical run (the median of its history), with overlaps on a
// shared NAS and runs that would outlast their next start flagged (icon and words, not colour alone). Below it,
// the cron editor: an expression in plain English (cronstrue) with its next runs in a chosen zone.

const HOUR_PX = 22;

export function CalendarView() {
  const tasks = useFleet((s) => s.tasks);
  const loadFleet = useFleet((s) => s.load);
  const snapshotTasks = useSnapshots((s) => s.snapshotTasks);
  const loadSnapshotTasks = useSnapshots((s) => s.loadTasks);
  const [durations, setDurations] = useState<Record<string, number | null>>({});
  const zone = localTimeZone();
  const clock = zoneClock(zone);
  const [weekOffset, setWeekOffset] = useState(0);
  const paused = useSettings((s) => s.settings?.schedulesPaused ?? false);
  const settingsLoaded = useSettings((s) => s.settings !== null);
  const loadSettings = useSettings((s) => s.load);
  useEffect(() => {
    if (!settingsLoaded) void loadSettings();
  }, [settingsLoaded, loadSettings]);

  useEffect(() => {
    void loadFleet();
    void loadSnapshotTasks();
  }, [loadFleet, loadSnapshotTasks]);
  useEffect(() => {
    for (const { task } of tasks) {
      if (durations[task.id] !== undefined) continue;
      void request('listRuns', { taskId: task.id, limit: 20 }, { quiet: true }).then((r) =>
        setDurations((d) => ({ ...d, [task.id]: r.ok ? median(r.value.filter((run) => run.result === 'FINISHED').map((run) => run.durationMs)) : null })),
      );
    }
  }, [tasks, durations]);

  const calendarTasks = useMemo<CalendarTask[]>(
    () => [
      ...tasks.flatMap(({ task }) =>
        task.schedule.kind === 'cron'
          ? [{ id: task.id, name: task.name, kind: 'replication' as const, connectionIds: [task.sourceConnectionId, task.destinationConnectionId], expression: task.schedule.expression, timeZone: task.schedule.timeZone ?? 'UTC', typicalMs: durations[task.id] ?? null }]
          : [],
      ),
      ...snapshotTasks.flatMap((t) =>
        t.schedule.kind === 'cron'
          ? [{ id: t.id, name: `Snapshot ${t.dataset}@${t.namingSchema}`, kind: 'snapshot' as const, connectionIds: [t.connectionId], expression: t.schedule.expression, timeZone: t.schedule.timeZone ?? t.timeZone ?? 'UTC', typicalMs: null }]
          : [],
      ),
    ],
    [tasks, snapshotTasks, durations],
  );

  // Monday 00:00 of this week on this computer's wall clock.
  // The clock the week is read against: past runs fade and the now line moves, once a minute.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  const today = Math.floor(clock.wall(now) / DAY_MS);
  const monday = today - ((((today + 3) % 7) + 7) % 7) + weekOffset * 7;
  const from = clock.instant(monday * DAY_MS);
  const to = clock.instant((monday + 7) * DAY_MS);
  // [Monday 00:00, next Monday 00:00): runsBetween takes (from, to].
  const runs = useMemo(() => weekRuns(calendarTasks, from - 1, to - 1), [calendarTasks, from, to]);
  const byTask = new Map(calendarTasks.map((t) => [t.id, t]));
  // Runs already past this week are drawn faded, under a line at now: the week view is about what comes.
  const upcoming = runs.filter((r) => r.start >= now);
  const flagged = upcoming.filter((r) => r.overlaps.length > 0 || r.overruns);

  if (calendarTasks.length === 0) {
    return (
      <div className="view">
        <EmptyState title="Nothing scheduled" action={<Button onPress={() => navigate({ view: 'tasks' })}>Go to Tasks</Button>}>
          <p>Replication and periodic snapshot tasks that run on a schedule are shown here on a week calendar with their typical duration. Runs of one task never overlap, whether started here, by the CLI or by cron.</p>
        </EmptyState>
        <CronEditor />
      </div>
    );
  }

  const days = Array.from({ length: 7 }, (_, i) => ({ start: clock.instant((monday + i) * DAY_MS), end: clock.instant((monday + i + 1) * DAY_MS) }));
  return (
    <div className="view view-wide calendar-view">
      <div className="toolbar toolbar-center">
        <IconButton label="Previous week" icon={<ChevronLeft size={16} aria-hidden="true" />} onPress={() => setWeekOffset((w) => w - 1)} />
        <strong>
          Week of {formatInZone(from, zone).slice(0, 10)} ({zone})
        </strong>
        <IconButton label="Next week" icon={<ChevronRight size={16} aria-hidden="true" />} onPress={() => setWeekOffset((w) => w + 1)} />
        {weekOffset !== 0 ? <Button onPress={() => setWeekOffset(0)}>This week</Button> : null}
        <span className="toolbar-spacer" />
        <span className="muted" data-testid="calendar-counts">
          {upcoming.length === runs.length ? plural(runs.length, 'run') : `${plural(upcoming.length, 'run')} to come`} of {plural(calendarTasks.length, 'task')}
          {flagged.length > 0 ? `, ${flagged.length} flagged` : ''}
        </span>
      </div>
      {paused ? (
        <p className="notice notice-warning" role="status" data-testid="schedules-paused">
          <TriangleAlert size={16} aria-hidden="true" className="notice-icon" />
          <span>
            Schedules are paused: none of these runs starts until you resume them (Settings, or the command palette). Runs started by hand, by the CLI or by cron on a NAS still run.
          </span>
        </p>
      ) : null}
      <ul className="calendar-legend" aria-label="Tasks">
        {calendarTasks.map((t, i) => (
          <li key={t.id} data-testid="calendar-task" data-task={t.id}>
            <span className={`calendar-swatch swatch-${i % 6}`} aria-hidden="true" />
            <strong>{t.name}</strong> — {describeCron(t.expression)} ({t.timeZone}); typical run {t.typicalMs === null ? `unknown (drawn as ${formatMs(t.kind === 'snapshot' ? 60_000 : 300_000)})` : formatMs(t.typicalMs)}; next:{' '}
            <span data-testid="next-runs">
              {(() => {
                try {
                  return cronSchedule(t.expression, t.timeZone)
                    .nextRuns(3, new Date(now))
                    .map((d) => formatInZone(d.getTime(), zone))
                    .join(', ');
                } catch {
                  return 'never';
                }
              })()}
            </span>
          </li>
        ))}
      </ul>
      <div className="calendar-grid" role="group" aria-label={`Scheduled runs, week of ${formatInZone(from, zone).slice(0, 10)}`} style={{ ['--hour-px' as string]: `${HOUR_PX}px` }}>
        <div className="calendar-hours" aria-hidden="true">
          {Array.from({ length: 24 }, (_, h) => (
            <div key={h} className="calendar-hour">
              {String(h).padStart(2, '0')}:00
            </div>
          ))}
        </div>
        {days.map((day) => (
          <div key={day.start} className="calendar-day">
            <div className="calendar-day-head">{new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: zone }).format(day.start)}</div>
            <div className="calendar-day-body">
              {now >= day.start && now < day.end ? <div className="calendar-now" style={{ top: ((now - day.start) / (day.end - day.start)) * 24 * HOUR_PX }} title={`Now: ${formatInZone(now, zone)}`} aria-hidden="true" /> : null}
              {runs
                .filter((r) => r.start >= day.start && r.start < day.end)
                .slice(0, 400)
                .map((run) => (
                  <RunBlock key={`${run.taskId}:${run.start}`} run={run} past={run.start < now} dayStart={day.start} dayLength={day.end - day.start} task={byTask.get(run.taskId)!} index={calendarTasks.findIndex((t) => t.id === run.taskId)} names={byTask} zone={zone} />
                ))}
            </div>
          </div>
        ))}
      </div>
      {flagged.length > 0 ? (
        <section className="panel" aria-label="Flagged runs" data-testid="calendar-flags">
          <h3>Flagged runs</h3>
          <ul>
            {flagged.slice(0, 20).map((r) => (
              <li key={`${r.taskId}:${r.start}`}>
                <TriangleAlert size={14} aria-hidden="true" /> {byTask.get(r.taskId)?.name} at {formatInZone(r.start, zone)}:{' '}
                {[r.overlaps.length > 0 ? `overlaps ${r.overlaps.map((id) => byTask.get(id)?.name ?? id).join(', ')} on a shared NAS` : null, r.overruns ? 'would not finish before its next start (that start is skipped)' : null].filter(Boolean).join('; ')}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <CronEditor />
    </div>
  );
}

function RunBlock({ run, past, dayStart, dayLength, task, index, names, zone }: { run: CalendarRun; past: boolean; dayStart: number; dayLength: number; task: CalendarTask; index: number; names: Map<string, CalendarTask>; zone: string }) {
  const total = 24 * HOUR_PX;
  const top = ((run.start - dayStart) / dayLength) * total;
  const height = Math.max(3, Math.min(total - top, ((run.end - run.start) / dayLength) * total));
  const flag = !past && (run.overlaps.length > 0 || run.overruns);
  const title = `${task.name}: ${past ? '(past) ' : ''}${formatInZone(run.start, zone)} – ${formatInZone(run.end, zone).slice(11)}${run.overlaps.length > 0 ? `; overlaps ${run.overlaps.map((id) => names.get(id)?.name ?? id).join(', ')}` : ''}${run.overruns ? '; would not finish before its next start' : ''}`;
  return (
    <div className={`calendar-run swatch-${index % 6}${flag ? ' is-flagged' : ''}${past ? ' is-past' : ''}`} style={{ top, height }} title={title} aria-label={title} role="note" data-testid="calendar-run" data-task={task.id}>
      {flag ? <TriangleAlert size={10} aria-hidden="true" /> : null}
    </div>
  );
}

/** A cron expression in plain English with its next runs, in a zone (the NAS's, usually). */
function CronEditor() {
  const [expression, setExpression] = useState('0 2 * * *');
  const [zone, setZone] = useState(localTimeZone());
  const zoneOk = isTimeZone(zone);
  const problem = checkCronExpression(expression, zoneOk ? zone : 'UTC');
  let next: string[] = [];
  if (!problem && zoneOk) {
    try {
      next = cronSchedule(expression, zone)
        .nextRuns(5, new Date())
        .map((d) => formatInZone(d.getTime(), zone));
    } catch {
      next = [];
    }
  }
  return (
    <section className="panel cron-editor" aria-label="Cron editor">
      <h3>Try a schedule</h3>
      <div className="input-row">
        <label className="field">
          <span className="field-label">Cron expression</span>
          <input className="input" value={expression} onChange={(e) => setExpression(e.target.value)} aria-invalid={problem ? true : undefined} data-testid="cron-input" />
        </label>
        <label className="field">
          <span className="field-label">Time zone</span>
          <input className="input" value={zone} onChange={(e) => setZone(e.target.value)} aria-invalid={zoneOk ? undefined : true} />
        </label>
      </div>
      <p className={problem || !zoneOk ? 'field-error' : ''} data-testid="cron-description" aria-live="polite">
        {!zoneOk ? 'Not a time zone name: use an IANA name such as Europe/Paris or UTC.' : (problem ?? `${describeCron(expression)}. Next: ${next.join(', ')}`)}
      </p>
    </section>
  );
}
