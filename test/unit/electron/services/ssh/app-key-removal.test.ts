import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeAuthorizedKeyScript } from '../../../../../electron/services/ssh/authorized-keys-scripts.ts';
import { buildCommandLine, type CommandRunner, type RunOptions, type RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { failureFromStderr } from '../../../../../electron/services/ssh/stderr-error-table.ts';
import { installAuthorizedKey } from '../../../../../electron/services/ssh/key-exchange.ts';
import { AppFailure } from '../../../../../shared/result.ts';
import { LocalShellRunner } from './local-shell-runner.ts';

// The undo of the key setup, and the error of a user without a usable home (TrueNAS's admin has /nonexistent),
// run for real by /bin/sh in throwaway HOME folders.

/** LocalShellRunner with a HOME that need not exist: the shell runs in the temp folder. */
class HomelessRunner implements CommandRunner {
  readonly label: string;
  readonly #home: string;
  constructor(label: string, home: string) {
    this.label = label;
    this.#home = home;
  }
  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', buildCommandLine(argv)], { env: { PATH: process.env.PATH, HOME: this.#home, LC_ALL: 'C' }, cwd: tmpdir() });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        const exitCode = code ?? -1;
        if ((options.expectedExitCodes ?? [0]).includes(exitCode)) resolve({ exitCode, stdout, stderr });
        else reject(failureFromStderr({ label: this.label, username: 'admin', command: argv.join(' '), exitCode, stderr }));
      });
      // A script that exits without reading its input (a refusal before anything is written) closes the pipe
      // under us: EPIPE then is expected, the exit status says what happened. Unhandled, it failed the whole run.
      child.stdin.on('error', () => undefined);
      if (typeof options.stdin === 'string') child.stdin.end(options.stdin);
      else child.stdin.end();
    });
  }
}

const appKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOM141D9wDPyu3MCUGw1O+tZfnjqh/Eb+Egi10/sR/N5 zfs-replication-desktop';
const blob = appKey.split(' ')[1]!;
const other = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB8fOrL3nBJkCWzdnwIhm2cwcKXNeoQx1fH4iWn0pW0a admin@laptop';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zrd-home-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("removing the app's key (undo of the key setup)", () => {
  it('removes exactly the lines with that key, whatever their options or comment, and keeps the rest byte for byte', async () => {
    const home = tempDir();
    const runner = new LocalShellRunner('root@nas', home);
    mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
    const file = path.join(home, '.ssh', 'authorized_keys');
    writeFileSync(file, `# keys\n${other}\nrestrict ${appKey}\n${appKey.replace('zfs-replication-desktop', 'again')}\n`, { mode: 0o600 });
    const { stdout } = await runner.run(['sh', '-c', removeAuthorizedKeyScript, 'sh', blob], { privileged: false });
    expect(stdout.trim()).toBe('2');
    expect(readFileSync(file, 'utf8')).toBe(`# keys\n${other}\n`);
    const again = await runner.run(['sh', '-c', removeAuthorizedKeyScript, 'sh', blob], { privileged: false });
    expect(again.stdout.trim()).toBe('0');
  });

  it('answers 0 when there is no authorized_keys at all', async () => {
    const home = tempDir();
    const { stdout } = await new LocalShellRunner('root@nas', home).run(['sh', '-c', removeAuthorizedKeyScript, 'sh', blob], { privileged: false });
    expect(stdout.trim()).toBe('0');
  });
});

describe('a user without a usable home directory', () => {
  it('is told what is wrong and how to fix it, before anything is written (home missing)', async () => {
    // HOME points at a folder that does not exist (the shell itself runs in a real folder).
    const home = path.join(tempDir(), 'nonexistent');
    const runner = new HomelessRunner('admin@truenas', home);
    const error = await installAuthorizedKey(runner, appKey).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppFailure);
    const failure = (error as AppFailure).appError;
    expect(failure.code).toBe('PERMISSION_DENIED');
    expect(failure.message).toMatch(/home directory of admin \(.*nonexistent\) does not exist or is read-only/);
    expect(existsSync(home)).toBe(false);
    expect(failure.hint).toContain('Home Directory');
  });

});
