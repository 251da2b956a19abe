import { describe, expect, it } from 'vitest';
import { formatLine, linesOfRun, parseLogText, searchLines, segmentRuns } from '../../../../renderer/features/tasks/task-log-lines.ts';

const r1 = '11111111-1111-4111-8111-111111111111';
const r2 = '22222222-2222-4222-8222-222222222222';
const text = [
  `2026-12-01T10:00:00.000Z INFO  Run of "Docs" started by app (run ${r1}).`,
  '2026-12-01T10:00:05.000Z INFO  Full send of tank/docs@s1: 1048576 bytes in 2.1 s.',
  '2026-12-01T10:00:06.000Z ERROR A problem',
  '    on two lines',
  '2026-12-01T10:00:07.000Z INFO  Result: FINISHED.',
  `2026-12-01T11:00:00.000Z INFO  Run of "Docs" started by app (schedule) (run ${r2}).`,
  '2026-12-01T11:00:02.000Z INFO  Incremental send @s1 -> @s2 of tank/docs: 4096 bytes in 0.3 s.',
  '',
].join('\n');

describe('task log lines', () => {
  it('parses lines with their level, joining continuation lines', () => {
    const lines = parseLogText(text);
    expect(lines).toHaveLength(6);
    expect(lines[2]).toEqual({ n: 2, at: '2026-12-01T10:00:06.000Z', level: 'error', message: 'A problem\non two lines' });
    expect(formatLine(lines[2]!)).toBe('2026-12-01T10:00:06.000Z ERROR A problem\n    on two lines');
  });

  it('drops the partial first line of a read from the middle of the file', () => {
    expect(parseLogText(`ted by app.\n2026-12-01T10:00:05.000Z INFO  whole\n`, 10, true)).toEqual([{ n: 10, at: '2026-12-01T10:00:05.000Z', level: 'info', message: 'whole' }]);
  });

  it('searches every word, case-insensitively, including the level', () => {
    const lines = parseLogText(text);
    expect(searchLines(lines, 'tank/docs send').map((l) => l.n)).toEqual([1, 5]);
    expect(searchLines(lines, 'ERROR').map((l) => l.n)).toEqual([2]);
    expect(searchLines(lines, '  ')).toHaveLength(6);
  });

  it('cuts the log into runs, and finds a past run by its id or its start time', () => {
    const lines = parseLogText(text);
    expect(segmentRuns(lines).map((s) => [s.runId, s.lines.length])).toEqual([[r1, 4], [r2, 2]]);
    expect(linesOfRun(lines, { startedAt: '2026-12-01T11:00:00.400Z', finishedAt: '2026-12-01T11:00:03.000Z' }).map((l) => l.n)).toEqual([4, 5]);
    expect(linesOfRun(lines, { startedAt: 'x', finishedAt: 'x', runId: r1 })).toHaveLength(4);
  });
});
