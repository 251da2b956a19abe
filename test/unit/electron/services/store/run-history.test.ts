import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunHistory, type RunHistoryInput } from '../../../../../electron/services/store/run-history.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-history-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const taskId = '2b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a';
const other = '3b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a';
const run = (n: number, over: Partial<RunHistoryInput> = {}): RunHistoryInput => ({
  id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  taskId,
  startedAt: new Date(Date.UTC(2026, 0, 1, 0, n, 0)).toISOString(),
  finishedAt: new Date(Date.UTC(2026, 0, 1, 0, n, 30)).toISOString(),
  result: 'FINISHED',
  by: 'schedule',
  bytesSent: 3_000_000 * n,
  snapshotsSent: n,
  datasets: [],
  error: null,
  ...over,
});

describe('RunHistory (one JSON-lines file per task, out of the settings file)', () => {
  it('appends runs with the figures the dashboard charts, lists them oldest first, with a limit', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    const first = history.append(run(1));
    expect(first).toMatchObject({ bytesSent: 3_000_000, snapshotsSent: 1, durationMs: 30_000, bytesPerSecond: 100_000, result: 'FINISHED', by: 'schedule', error: null });
    history.append(run(2, { result: 'FAILED', error: { code: 'NO_SPACE', message: 'pool full', hint: 'free space' } }));
    history.append(run(3));
    history.append({ ...run(4), taskId: other });
    expect(history.list(taskId).map((r) => r.snapshotsSent)).toEqual([1, 2, 3]);
    expect(history.list(taskId, { limit: 2 }).map((r) => r.snapshotsSent)).toEqual([2, 3]);
    expect(history.list(taskId)[1]!.error).toEqual({ code: 'NO_SPACE', message: 'pool full', hint: 'free space' });
    expect(history.last(taskId)?.snapshotsSent).toBe(3);
    expect(history.list(other)).toHaveLength(1);
    expect(history.taskIds().sort()).toEqual([taskId, other]);
    const file = history.fileOf(taskId);
    expect(file).toBe(path.join(dir, 'history', `${taskId}.jsonl`));
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('has nothing for a task that never ran, and forgets a removed task', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    expect(history.list(taskId)).toEqual([]);
    expect(history.last(taskId)).toBeNull();
    expect(history.remove(taskId)).toBe(false);
    history.append(run(1));
    expect(history.remove(taskId)).toBe(true);
    expect(history.list(taskId)).toEqual([]);
  });

  it('keeps the newest `keep` runs', () => {
    const history = new RunHistory(path.join(dir, 'history'), { keep: 5 });
    for (let n = 1; n <= 12; n++) history.append(run(n));
    expect(history.list(taskId).map((r) => r.snapshotsSent)).toEqual([8, 9, 10, 11, 12]);
    expect(readFileSync(history.fileOf(taskId), 'utf8').trim().split('\n')).toHaveLength(5);
  });

  it('a torn last line (a crash mid-append) costs that line only, and the next run starts a new line', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    history.append(run(1));
    appendFileSync(history.fileOf(taskId), '{"id":"00000000-0000-4000-8000-0000000');
    expect(history.list(taskId)).toHaveLength(1);
    expect(history.last(taskId)?.snapshotsSent).toBe(1);
    history.append(run(2));
    expect(history.list(taskId).map((r) => r.snapshotsSent)).toEqual([1, 2]);
  });

  it('refuses a task id that is not a UUID (it would name a file)', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    expect(() => history.list('../../etc/passwd')).toThrow('is not a task id');
    expect(() => history.append(run(1, { taskId: '../x' }))).toThrow();
  });

  it('files are 0600 in a 0700 folder', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    history.append(run(1));
    expect(statSync(history.dir).mode & 0o777).toBe(0o700);
    expect(statSync(history.fileOf(taskId)).mode & 0o777).toBe(0o600);
    history.append(run(2));
    expect(statSync(history.fileOf(taskId)).mode & 0o777).toBe(0o600);
  });

  it('merges runs that may be there already (a repeated migration), ordered by finish time', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    history.append(run(2));
    expect(history.merge(taskId, [run(3), run(1), run(2)])).toBe(2);
    expect(history.merge(taskId, [run(3), run(1)])).toBe(0);
    expect(history.list(taskId).map((r) => r.snapshotsSent)).toEqual([1, 2, 3]);
  });

  it('derives the figures for lines written before they existed', () => {
    const history = new RunHistory(path.join(dir, 'history'));
    mkdirSync(history.dir, { recursive: true });
    const { durationMs: _d, bytesPerSecond: _b, ...old } = history.append(run(1));
    writeFileSync(history.fileOf(taskId), `${JSON.stringify(old)}\n`);
    expect(history.last(taskId)).toMatchObject({ durationMs: 30_000, bytesPerSecond: 100_000 });
  });
});
