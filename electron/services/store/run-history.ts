import { appendFileSync, existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AppFailure } from '../../../shared/result.ts';
import { RunRecordSchema, type RunRecord } from '../../../shared/task-schemas.ts';
import { withFileLockSync } from './file-lock.ts';
import { ensurePrivateDir, narrowMode, privateFileMode, writePrivateFileAtomic } from './private-files.ts';

// Run history, out of the settings file: one append-only JSON-lines file per task, <data folder>/history/<task id>.jsonl,
// one line per finished run (oldest first), trimmed to the newest `keep` runs. Runs never rewrite the settings file,
// and the settings writers never touch the history. Appends take the file's cross-process lock (the app, the bridge,
// the CLI and the daemon may finish runs of the same task at once); reads need none: a line is written in one
// write() and a trim replaces the file by rename. A torn last line (a crash mid-append) is skipped, not fatal.

/** What a run reports; the history adds the figures derived from it (duration, rate). */
export type RunHistoryInput = Omit<RunRecord, 'durationMs' | 'bytesPerSecond'> & Partial<Pick<RunRecord, 'durationMs' | 'bytesPerSecond'>>;

/** Runs kept per task: a year of daily runs, or six weeks of hourly ones. */
export const runsKeptPerTask = 1000;

const TaskIdSchema = z.string().uuid();

/** The derived figures: duration from the timestamps, rate from bytes over duration. */
export function withRunFigures(input: RunHistoryInput): RunRecord {
  const started = Date.parse(input.startedAt);
  const finished = Date.parse(input.finishedAt);
  const durationMs = input.durationMs ?? (Number.isFinite(started) && Number.isFinite(finished) ? Math.max(0, finished - started) : 0);
  const bytesPerSecond = input.bytesPerSecond ?? (durationMs > 0 ? Math.round((input.bytesSent * 1000) / durationMs) : 0);
  return RunRecordSchema.parse({ ...input, durationMs, bytesPerSecond });
}

/** Lines written before the derived figures existed have them filled in. */
const StoredLineSchema = RunRecordSchema.partial({ durationMs: true, bytesPerSecond: true });

function recordOfLine(line: string): RunRecord | null {
  try {
    const parsed = StoredLineSchema.safeParse(JSON.parse(line));
    return parsed.success ? withRunFigures(parsed.data) : null;
  } catch {
    return null;
  }
}

export class RunHistory {
  readonly dir: string;
  readonly keep: number;

  constructor(dir: string, options: { keep?: number } = {}) {
    this.dir = dir;
    this.keep = options.keep ?? runsKeptPerTask;
  }

  /** The history file of a task; the id must be a UUID (it becomes a file name). */
  fileOf(taskId: string): string {
    if (!TaskIdSchema.safeParse(taskId).success) throw new AppFailure('INVALID_REQUEST', `"${taskId}" is not a task id.`, 'Task ids are UUIDs; list the tasks to see them.');
    return path.join(this.dir, `${taskId}.jsonl`);
  }

  /** Appends a finished run and trims the task's history to the newest `keep`. Returns the record as stored. */
  append(input: RunHistoryInput): RunRecord {
    const record = withRunFigures(input);
    this.#appendAll(record.taskId, [record]);
    return record;
  }

  /**
   * Adds runs that may already be there (the migration out of the settings file, which a crash can interrupt and
   * repeat): runs whose id the history has are skipped; the result is ordered by finish time.
   */
  merge(taskId: string, inputs: RunHistoryInput[]): number {
    // A record this version cannot read (an older shape, a hand edit) is left out alone.
    const records = inputs.flatMap((input) => {
      try {
        return [withRunFigures(input)];
      } catch {
        return [];
      }
    }).filter((r) => r.taskId === taskId);
    if (records.length === 0) return 0;
    const file = this.fileOf(taskId);
    ensurePrivateDir(this.dir);
    return withFileLockSync(file, () => {
      const existing = this.#readLines(file).records;
      const known = new Set(existing.map((r) => r.id));
      const added = records.filter((r) => !known.has(r.id));
      if (added.length === 0) return 0;
      const all = [...existing, ...added].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt)).slice(-this.keep);
      writePrivateFileAtomic(file, all.map((r) => `${JSON.stringify(r)}\n`).join(''));
      return added.length;
    }, { what: `The run history of task ${taskId}` });
  }

  /** A task's runs, oldest first; with `limit`, the newest `limit` of them. */
  list(taskId: string, options: { limit?: number } = {}): RunRecord[] {
    const { records } = this.#readLines(this.fileOf(taskId));
    return options.limit === undefined ? records : records.slice(-Math.max(0, options.limit));
  }

  /** The newest run of a task, or null (parses from the end: listings ask this for every task). */
  last(taskId: string): RunRecord | null {
    let text: string;
    try {
      text = readFileSync(this.fileOf(taskId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const lines = text.split('\n');
    for (let index = lines.length - 1; index >= 0; index--) {
      const record = lines[index]!.trim() === '' ? null : recordOfLine(lines[index]!);
      if (record) return record;
    }
    return null;
  }

  /** Forgets a task's history (when the task is deleted). False when it had none. */
  remove(taskId: string): boolean {
    const file = this.fileOf(taskId);
    if (!existsSync(file)) return false;
    withFileLockSync(file, () => rmSync(file, { force: true }), { what: `The run history of task ${taskId}` });
    return true;
  }

  /** The task ids that have a history file. */
  taskIds(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => name.slice(0, -'.jsonl'.length))
      .filter((id) => TaskIdSchema.safeParse(id).success);
  }

  /** Narrows the folder to 0700 and its files to 0600 (files from an older version, or copied in by hand). */
  fixModes(): void {
    if (!narrowMode(this.dir, 0o700)) return;
    for (const name of readdirSync(this.dir)) narrowMode(path.join(this.dir, name), privateFileMode);
  }

  #appendAll(taskId: string, records: RunRecord[]): void {
    const file = this.fileOf(taskId);
    ensurePrivateDir(this.dir);
    withFileLockSync(file, () => {
      const { records: existing, lines, endsClean } = this.#readLines(file);
      const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
      if (lines + records.length > this.keep) {
        // Trim: rewrite the newest `keep` by rename, so a reader sees the old file or the new one.
        const all = [...existing, ...records].slice(-this.keep);
        writePrivateFileAtomic(file, all.map((r) => `${JSON.stringify(r)}\n`).join(''));
      } else {
        // One write() with O_APPEND; a torn last line from a crash is closed first so this record starts a line.
        appendFileSync(file, `${endsClean ? '' : '\n'}${text}`, { mode: privateFileMode });
      }
    }, { what: `The run history of task ${taskId}` });
  }

  #readLines(file: string): { records: RunRecord[]; lines: number; endsClean: boolean } {
    let text: string;
    try {
      if (!statSync(file).isFile()) return { records: [], lines: 0, endsClean: true };
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], lines: 0, endsClean: true };
      throw error;
    }
    const records: RunRecord[] = [];
    let lines = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      lines++;
      // A torn or hand-broken line costs that line only.
      const record = recordOfLine(line);
      if (record) records.push(record);
    }
    return { records, lines, endsClean: text === '' || text.endsWith('\n') };
  }
}
