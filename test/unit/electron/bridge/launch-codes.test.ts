import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LaunchCodes } from '../../../../electron/bridge/launch-codes.ts';
import { privateBaseDir, writeLauncherFile } from '../../../../electron/bridge/launcher-file.ts';

afterEach(() => vi.useRealTimers());

describe('LaunchCodes', () => {
  it('redeems a code once, and only a code it issued', () => {
    const codes = new LaunchCodes(60_000);
    const code = codes.issue();
    expect(code.length).toBeGreaterThanOrEqual(40);
    expect(codes.redeem(`${code}x`)).toBe(false);
    expect(codes.redeem(code)).toBe(true);
    expect(codes.redeem(code)).toBe(false);
    for (const junk of [undefined, null, 42, {}, '', 'a'.repeat(10_000)]) expect(codes.redeem(junk)).toBe(false);
  });

  it('refuses a code after its time, and runs its clean-up then', () => {
    vi.useFakeTimers();
    let now = 1_000_000;
    const codes = new LaunchCodes(1000, () => now);
    const settled = vi.fn();
    const late = codes.issue(settled);
    now += 1001;
    vi.advanceTimersByTime(1001);
    expect(settled).toHaveBeenCalledTimes(1);
    expect(codes.redeem(late)).toBe(false);
  });

  it('runs a clean-up once when its code is redeemed, and every pending one on clear()', () => {
    const codes = new LaunchCodes(60_000);
    const first = vi.fn();
    const second = vi.fn(() => {
      throw new Error('already gone');
    });
    const code = codes.issue(first);
    codes.issue(second);
    expect(codes.redeem(code)).toBe(true);
    codes.clear();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });
});

describe('launcher file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('uses $XDG_RUNTIME_DIR only when it is a private folder of this user', () => {
    const runtime = mkdtempSync(path.join(tmpdir(), 'zrd-runtime-'));
    dirs.push(runtime);
    expect(privateBaseDir({ XDG_RUNTIME_DIR: runtime })).toBe(runtime);
    chmodSync(runtime, 0o755);
    expect(privateBaseDir({ XDG_RUNTIME_DIR: runtime })).toBe(tmpdir());
    expect(privateBaseDir({ XDG_RUNTIME_DIR: 'relative/dir' })).toBe(tmpdir());
    expect(privateBaseDir({ XDG_RUNTIME_DIR: path.join(runtime, 'missing') })).toBe(tmpdir());
    expect(privateBaseDir({})).toBe(tmpdir());
  });

  it('is 0600 in a 0700 folder, whatever the umask, and carries the address as inert data', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'zrd-base-'));
    dirs.push(base);
    const previous = process.umask(0);
    try {
      const target = 'http://127.0.0.1:1/#code=a"</script><script>alert(1)</script>';
      const launcher = writeLauncherFile(target, base);
      expect(statSync(launcher.path).mode & 0o777).toBe(0o600);
      expect(statSync(path.dirname(launcher.path)).mode & 0o777).toBe(0o700);
      const page = readFileSync(launcher.path, 'utf8');
      expect(page).not.toContain('</script><script>alert(1)');
      expect(page).toContain(JSON.stringify(target).replace(/</g, '\\u003c'));
      launcher.remove();
      launcher.remove();
    } finally {
      process.umask(previous);
    }
  });
});
