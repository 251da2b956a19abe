// A task's log file as lines the log panel shows: parsed from the file's text (`2026-12-01T10:00:00.000Z INFO  msg`,
// continuation lines indented by four spaces), searched, and cut into runs so a past run's log opens on its own.

export interface TaskLogLine {
  /** Position in the panel's buffer (stable key). */
  n: number;
  at: string;
  level: string;
  message: string;
}

const linePattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\w+)\s+(.*)$/;

/**
 * Parses whole lines of the file. `dropFirstPartial`: the text was read from the middle of the file, so its first
 * line may be the end of a line (dropped unless it parses).
 */
export function parseLogText(text: string, firstN = 0, dropFirstPartial = false): TaskLogLine[] {
  const out: TaskLogLine[] = [];
  const raw = text.split('\n');
  if (raw.at(-1) === '') raw.pop();
  raw.forEach((line, index) => {
    const match = linePattern.exec(line);
    if (match) {
      out.push({ n: firstN + out.length, at: match[1]!, level: match[2]!.toLowerCase(), message: match[3]! });
    } else if (line.startsWith('    ') && out.length > 0) {
      const last = out[out.length - 1]!;
      out[out.length - 1] = { ...last, message: `${last.message}\n${line.slice(4)}` };
    } else if (!(dropFirstPartial && index === 0) && line.trim() !== '') {
      out.push({ n: firstN + out.length, at: '', level: 'info', message: line });
    }
  });
  return out;
}

/** The line as it was in the file (for "copy"). */
export function formatLine(line: Pick<TaskLogLine, 'at' | 'level' | 'message'>): string {
  return `${line.at} ${line.level.toUpperCase().padEnd(5)} ${line.message.replace(/\n/g, '\n    ')}`.trimStart();
}

/** Lines containing `query` (case-insensitive; every word must occur), or all lines for an empty query. */
export function searchLines<T extends Pick<TaskLogLine, 'message' | 'level'>>(lines: readonly T[], query: string): T[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...lines];
  return lines.filter((line) => {
    const text = `${line.level} ${line.message}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

const runStartPattern = /started by .* \(run ([0-9a-f-]{36})\)\.$/;

export interface LogRunSegment {
  runId: string | null;
  startedAt: string;
  lines: TaskLogLine[];
}

/** The log cut at each "… started by … (run <id>)." line: each run's lines up to the next run's first line. */
export function segmentRuns(lines: readonly TaskLogLine[]): LogRunSegment[] {
  const segments: LogRunSegment[] = [];
  let current: LogRunSegment | null = null;
  for (const line of lines) {
    const start = runStartPattern.exec(line.message);
    if (start) {
      current = { runId: start[1]!, startedAt: line.at, lines: [line] };
      segments.push(current);
    } else if (current) {
      current.lines.push(line);
    }
  }
  return segments;
}

/**
 * The lines of the run that started at `startedAt` (a run history entry's start): the segment whose first line is
 * closest to it, within a minute; otherwise the lines written between start and finish.
 */
export function linesOfRun(lines: readonly TaskLogLine[], run: { startedAt: string; finishedAt: string; runId?: string }): TaskLogLine[] {
  const segments = segmentRuns(lines);
  const byId = run.runId ? segments.find((s) => s.runId === run.runId) : undefined;
  if (byId) return byId.lines;
  const start = Date.parse(run.startedAt);
  let best: LogRunSegment | null = null;
  let bestGap = 60_000;
  for (const segment of segments) {
    const gap = Math.abs(Date.parse(segment.startedAt) - start);
    if (gap <= bestGap) {
      best = segment;
      bestGap = gap;
    }
  }
  if (best) return best.lines;
  const end = Date.parse(run.finishedAt);
  return lines.filter((line) => {
    const at = Date.parse(line.at);
    return at >= start - 2000 && at <= end + 2000;
  });
}
