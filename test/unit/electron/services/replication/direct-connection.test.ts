import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directConnectionIdleSeconds, openDirectConnection } from '../../../../../electron/services/replication/stream-transfer.ts';
import { LocalShellRunner } from '../ssh/local-shell-runner.ts';

// openDirectConnection's shell program, run by /bin/sh on this machine with a stand-in `ssh` first on PATH that
// records its arguments, answers with the exit code and stderr written in its HOME, and, like an OpenSSH that
// leaves stderr attached when it goes to the background (-f), keeps a child alive holding its stderr.

let home: string;
let savedPath: string | undefined;
const target = { host: 'nas-b', port: 22, user: 'admin' };
const calls = () => readFileSync(join(home, 'ssh-calls'), 'utf8').trim().split('\n');

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'zrd-direct-'));
  writeFileSync(join(home, 'ssh-calls'), '');
  writeFileSync(join(home, 'ssh-exit'), '0');
  writeFileSync(join(home, 'ssh-stderr'), '');
  writeFileSync(
    join(home, 'ssh'),
    '#!/bin/sh\necho "$*" >> "$HOME/ssh-calls"\ncat "$HOME/ssh-stderr" >&2\ncase " $* " in *" -f "*) (sleep 3) & ;; esac\nexit "$(cat "$HOME/ssh-exit")"\n',
  );
  chmodSync(join(home, 'ssh'), 0o755);
  savedPath = process.env.PATH;
  process.env.PATH = `${home}:${savedPath ?? '/usr/bin:/bin'}`;
});
afterEach(() => {
  process.env.PATH = savedPath;
  rmSync(home, { recursive: true, force: true });
});

describe('openDirectConnection', () => {
  it('opens one background master with a private random socket, returns at once, and closes it with -O exit', async () => {
    const runner = new LocalShellRunner('admin@nas-a', home);
    const started = Date.now();
    const connection = await openDirectConnection(runner, target);
    // The stand-in's child holds the stderr it inherited for 3 s: the script must not wait for it.
    expect(Date.now() - started).toBeLessThan(2500);
    expect(connection.unavailable).toBeNull();
    expect(connection.controlPath).toMatch(/^\/tmp\/zrd-ssh-[0-9a-f]{16}$/);
    expect(calls()).toEqual([
      `-o BatchMode=yes -o StrictHostKeyChecking=yes -o UpdateHostKeys=no -o ConnectTimeout=20 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 -o Ciphers=aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr -o ControlMaster=yes -o ControlPath=${connection.controlPath} -o ControlPersist=${directConnectionIdleSeconds} -f -N -p 22 -l admin nas-b`,
    ]);
    // A second run gets another socket: runs never share one.
    const other = await openDirectConnection(runner, target);
    expect(other.controlPath).not.toBe(connection.controlPath);

    await connection.close();
    expect(calls().at(-1)).toMatch(new RegExp(`-o ControlPath=${connection.controlPath} -O exit -p 22 -l admin nas-b$`));
  });

  it('a master that cannot connect leaves the streams to connect on their own, with the reason for the log', async () => {
    writeFileSync(join(home, 'ssh-exit'), '255');
    writeFileSync(join(home, 'ssh-stderr'), 'Warning: something\nadmin@nas-b: Permission denied (publickey).\n');
    const connection = await openDirectConnection(new LocalShellRunner('admin@nas-a', home), target);
    expect(connection).toMatchObject({ controlPath: null, unavailable: 'admin@nas-b: Permission denied (publickey).' });
    await connection.close(); // nothing to close, and no throw
    expect(calls()).toHaveLength(1);
  });

  it('an unexpected failure (exit 1) is not thrown either', async () => {
    writeFileSync(join(home, 'ssh-exit'), '1');
    const connection = await openDirectConnection(new LocalShellRunner('admin@nas-a', home), target);
    expect(connection.controlPath).toBeNull();
    expect(connection.unavailable).toBeTruthy();
  });
});
