import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAppLog } from '../../../../../electron/services/logs/app-log.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-app-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);

describe('app log (pino)', () => {
  it('writes one JSON line per message, naming the program and pid, at once', () => {
    const log = openAppLog(dir, { program: 'cli' });
    log.info('Saved connection "nas-a".', { connectionId: 'c1' });
    expect(lines(log.path)).toEqual([expect.objectContaining({ level: 'info', program: 'cli', pid: process.pid, msg: 'Saved connection "nas-a".', connectionId: 'c1', time: expect.any(String) })]);
    expect(log.path).toBe(path.join(dir, 'app.log'));
  });

  it('records a remote command (debug when it went well, warn when not), and an unexpected error with its stack', () => {
    const log = openAppLog(dir, { program: 'app' });
    const record = { connection: 'root@nas-a:22', name: 'zfs list', command: 'zfs list -H tank', durationMs: 12, exitCode: 0, signal: null, outcome: 'ok' as const, stderr: '' };
    log.command(record);
    log.command({ ...record, name: 'zfs destroy', exitCode: 1, outcome: 'BUSY', stderr: 'dataset is busy' });
    log.failure('getSettings', new TypeError('boom'));
    const [ok, busy, failure] = lines(log.path);
    expect(ok).toMatchObject({ level: 'debug', event: 'command', name: 'zfs list', durationMs: 12, exitCode: 0, outcome: 'ok', msg: 'root@nas-a:22 $ zfs list -> exit 0 (12 ms)' });
    expect(busy).toMatchObject({ level: 'warn', name: 'zfs destroy', outcome: 'BUSY', stderr: 'dataset is busy' });
    expect(failure).toMatchObject({ level: 'error', event: 'failure', where: 'getSettings', code: 'INTERNAL', stack: expect.stringContaining('TypeError: boom') });
  });

  it('blanks secret-looking fields as a second line of defence, and rotates by size', () => {
    const log = openAppLog(dir, { program: 'app', maxBytes: 600, keep: 1 });
    log.info('keys', { password: 'hunter2', nested: { destinationKey: 'abc' } });
    expect(readFileSync(log.path, 'utf8')).not.toMatch(/hunter2|"abc"/);
    for (let i = 0; i < 10; i++) log.info(`line ${i} ${'x'.repeat(40)}`);
    expect(readFileSync(`${log.path}.1`, 'utf8').length).toBeGreaterThan(0);
    expect(readFileSync(log.path, 'utf8').length).toBeLessThanOrEqual(600);
    expect(lines(log.path).at(-1)).toMatchObject({ msg: expect.stringContaining('line 9') });
  });
});
