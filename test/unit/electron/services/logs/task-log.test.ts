import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatLogLine, TaskLog, type TaskLogChunk } from '../../../../../electron/services/logs/task-log.ts';

const taskId = '6f1f6b2e-6a44-4f3c-9d55-0a7f1f7e2b10';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-task-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('TaskLog', () => {
  it('appends each line at once (the file has it before the next line), owner-only, one record per line', () => {
    const log = new TaskLog(dir);
    log.append(taskId, 'info', 'first', new Date('2026-01-01T00:00:00Z'));
    expect(readFileSync(log.path(taskId), 'utf8')).toBe('2026-01-01T00:00:00.000Z INFO  first\n');
    log.append(taskId, 'error', 'two\nlines');
    expect(readFileSync(log.path(taskId), 'utf8').split('\n').slice(1, 3)).toEqual([expect.stringMatching(/ ERROR two$/), '    lines']);
    expect(statSync(log.path(taskId)).mode & 0o777).toBe(0o600);
    expect(() => log.path('../etc/passwd')).toThrow(TypeError);
  });

  it('a killed writer keeps every line it wrote', () => {
    const script = `import { TaskLog } from ${JSON.stringify(path.resolve('electron/services/logs/task-log.ts'))};
      const log = new TaskLog(${JSON.stringify(dir)});
      for (let i = 1; i <= 3; i++) log.append(${JSON.stringify(taskId)}, 'info', 'line ' + i);
      process.kill(process.pid, 'SIGKILL');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script]);
    expect(result.signal).toBe('SIGKILL');
    expect(readFileSync(path.join(dir, `${taskId}.log`), 'utf8').match(/line \d/g)).toEqual(['line 1', 'line 2', 'line 3']);
  });

  it('rotates by size: the current file never passes maxBytes, older ones shift, the oldest beyond keep goes', () => {
    const line = formatLogLine(new Date(0), 'info', 'x'.repeat(60));
    const log = new TaskLog(dir, { maxBytes: line.length * 3, keep: 2 });
    for (let i = 0; i < 10; i++) log.append(taskId, 'info', `${String(i).padStart(2, '0')}${'x'.repeat(58)}`, new Date(0));
    const current = log.path(taskId);
    expect(log.files(taskId)).toEqual([current, `${current}.1`, `${current}.2`]);
    expect(existsSync(`${current}.3`)).toBe(false);
    for (const file of log.files(taskId)) expect(statSync(file).size).toBeLessThanOrEqual(line.length * 3);
    const firstOf = (file: string) => readFileSync(file, 'utf8').slice(31, 33);
    expect(log.files(taskId).map(firstOf)).toEqual(['09', '06', '03']);
    // A new TaskLog (another process) picks up the current size instead of growing past the limit.
    const again = new TaskLog(dir, { maxBytes: line.length * 3, keep: 2 });
    again.append(taskId, 'info', `10${'x'.repeat(58)}`, new Date(0));
    again.append(taskId, 'info', `11${'x'.repeat(58)}`, new Date(0));
    expect(readFileSync(current, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('reads whole lines from an offset, and on from nextOffset; an offset past the end (rotated) starts again', () => {
    const log = new TaskLog(dir);
    for (let i = 1; i <= 3; i++) log.append(taskId, 'info', `line ${i}`, new Date(0));
    const lineLength = formatLogLine(new Date(0), 'info', 'line 1').length;
    const first = log.read(taskId, 0, lineLength + 5);
    expect(first).toMatchObject({ offset: 0, nextOffset: lineLength, restarted: false, size: lineLength * 3 });
    expect(first.text).toContain('line 1');
    const rest = log.read(taskId, first.nextOffset);
    expect(rest.text.match(/line \d/g)).toEqual(['line 2', 'line 3']);
    expect(log.read(taskId, rest.nextOffset).text).toBe('');
    expect(log.read(taskId, 10_000)).toMatchObject({ offset: 0, restarted: true });
    expect(log.read('0c8d4c1e-0000-4000-8000-000000000000')).toMatchObject({ text: '', size: 0 });
  });

  it('follows lines as another process appends them, and across a rotation', async () => {
    const line = formatLogLine(new Date(0), 'info', 'y'.repeat(40));
    const log = new TaskLog(dir, { maxBytes: line.length * 2 });
    const chunks: TaskLogChunk[] = [];
    const stop = log.follow(taskId, 0, (chunk) => chunks.push(chunk), { pollMs: 50 });
    const text = () => chunks.map((c) => c.text).join('');
    try {
      const writer = new TaskLog(dir, { maxBytes: line.length * 2 });
      writer.append(taskId, 'info', `a${'y'.repeat(39)}`, new Date(0));
      await until(() => text().includes(`a${'y'.repeat(39)}`));
      writer.append(taskId, 'info', `b${'y'.repeat(39)}`, new Date(0));
      writer.append(taskId, 'info', `c${'y'.repeat(39)}`, new Date(0));
      await until(() => text().includes(`c${'y'.repeat(39)}`));
      expect(text().match(/ [abc]y/g)).toEqual([' ay', ' by', ' cy']);
      expect(chunks.some((c) => c.restarted)).toBe(true);
    } finally {
      stop();
    }
  });
});
