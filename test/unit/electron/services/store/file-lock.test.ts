import { mkdirSync, mkdtempSync, rmSync, utimesSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLockSync } from '../../../../../electron/services/store/file-lock.ts';
import type { AppFailure } from '../../../../../shared/result.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('withFileLockSync', () => {
  it('runs the action with <file>.lock held and removes it after, also when the action throws', () => {
    const file = path.join(dir, 'config.json');
    expect(withFileLockSync(file, () => existsSync(`${file}.lock`))).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(() => withFileLockSync(file, () => { throw new Error('boom'); })).toThrow('boom');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('waits for a live holder and gives up with BUSY, naming the lock', () => {
    const file = path.join(dir, 'config.json');
    mkdirSync(`${file}.lock`);
    const started = Date.now();
    try {
      withFileLockSync(file, () => 1, { timeoutMs: 400, what: 'The settings file' });
      expect.unreachable();
    } catch (error) {
      expect((error as AppFailure).appError.code).toBe('BUSY');
      expect((error as AppFailure).appError.message).toContain('The settings file is locked by another process');
      expect((error as AppFailure).appError.hint).toContain(`${file}.lock`);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  });

  it('takes over a lock a dead process left (older than the stale time)', () => {
    const file = path.join(dir, 'config.json');
    mkdirSync(`${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    expect(withFileLockSync(file, () => 'ran', { staleMs: 2000, timeoutMs: 500 })).toBe('ran');
  });
});
