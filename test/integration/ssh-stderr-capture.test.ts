import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AppFailure } from '../../shared/result.ts';
import { nasToNasSshArgv } from '../../electron/services/ssh/key-exchange.ts';
import type { CommandRunner } from '../../electron/services/ssh/command-runner.ts';
import type { TestbedInfo } from '../nas/testbed.ts';
import { connectionTo, sshApp, vmNamed, type SshApp } from './support/ssh-app.ts';

// Real failures on the VMs, through the app's runner: each must map to its code. With ZRD_UPDATE_FIXTURES=1 the
// literal stderr is saved to test/fixtures/ssh/stderr-messages.json, which the stderr table's unit test replays.

const testbed = inject('testbed') as TestbedInfo;
const nasA = vmNamed(testbed, 'nas-a');
const fixturePath = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'ssh', 'stderr-messages.json');

interface Captured {
  case: string;
  user: string;
  command: string;
  exitCode: number | null;
  stderr: string;
  code: string;
}

let app: SshApp;
const runners: Record<string, CommandRunner> = {};
const captured: Captured[] = [];

beforeAll(async () => {
  app = sshApp();
  for (const [user, privilege] of [['root', 'root'], ['admin', 'sudo'], ['delegate', 'delegated'], ['sudopw', 'sudo']] as const) {
    const connection = connectionTo(nasA, user, privilege);
    await app.pin(connection);
    runners[user] = app.services.runnerFor(connection);
  }
  await runners.root!.run(['sh', '-c', 'zfs destroy -r tank/zrd-ssh-stderr 2>/dev/null; zfs create tank/zrd-ssh-stderr && zfs snapshot tank/zrd-ssh-stderr@s1 && zfs hold zrd-test tank/zrd-ssh-stderr@s1']);
});

afterAll(async () => {
  await runners.root?.run(['sh', '-c', 'zfs release zrd-test tank/zrd-ssh-stderr@s1; zfs destroy -r tank/zrd-ssh-stderr'], { expectedExitCodes: [0, 1] }).catch(() => {});
  if (process.env.ZRD_UPDATE_FIXTURES && captured.length > 0) writeFileSync(fixturePath, `${JSON.stringify(captured, null, 2)}\n`);
  await app?.dispose();
});

const cases: Array<{ name: string; user: string; argv: string[]; code: string; privileged?: boolean }> = [
  { name: 'sudo needs a password', user: 'sudopw', argv: ['zfs', 'list', '-H', 'tank'], code: 'SUDO_PASSWORD_REQUIRED' },
  { name: 'sudo refuses a command outside sudoers', user: 'admin', argv: ['id', '-un'], code: 'SUDO_PASSWORD_REQUIRED|PERMISSION_DENIED' },
  { name: 'no such command', user: 'root', argv: ['zrd-no-such-command'], code: 'COMMAND_NOT_FOUND' },
  { name: 'no such command under sudo', user: 'admin', argv: ['zrd-no-such-command'], code: 'COMMAND_NOT_FOUND|SUDO_PASSWORD_REQUIRED|PERMISSION_DENIED' },
  { name: 'dataset does not exist', user: 'root', argv: ['zfs', 'list', '-H', 'tank/zrd-ssh-stderr/nope'], code: 'DATASET_NOT_FOUND' },
  { name: 'dataset does not exist (sudo)', user: 'admin', argv: ['zfs', 'get', 'name', 'tank/zrd-ssh-stderr/nope'], code: 'DATASET_NOT_FOUND' },
  { name: 'dataset already exists', user: 'root', argv: ['zfs', 'create', 'tank/zrd-ssh-stderr'], code: 'DATASET_EXISTS' },
  { name: 'snapshot already exists', user: 'root', argv: ['zfs', 'snapshot', 'tank/zrd-ssh-stderr@s1'], code: 'DATASET_EXISTS' },
  { name: 'held snapshot cannot be destroyed', user: 'root', argv: ['zfs', 'destroy', 'tank/zrd-ssh-stderr@s1'], code: 'BUSY' },
  { name: 'hold tag exists', user: 'root', argv: ['zfs', 'hold', 'zrd-test', 'tank/zrd-ssh-stderr@s1'], code: 'CONFLICT' },
  { name: 'delegate may not set a property it was not allowed', user: 'delegate', argv: ['zfs', 'set', 'compression=off', 'tank/zrd-ssh-stderr'], code: 'PERMISSION_DENIED' },
  { name: 'invalid dataset name', user: 'root', argv: ['zfs', 'list', 'tank/bad!name'], code: 'INVALID_NAME' },
  { name: 'no such pool', user: 'root', argv: ['zpool', 'list', 'nopool'], code: 'DATASET_NOT_FOUND' },
  { name: 'ssh to an unknown host key with strict checking', user: 'root', argv: [...nasToNasSshArgv('root', { host: 'nas-b', port: 22 }), 'true'], code: 'HOST_KEY_UNCONFIRMED', privileged: false },
  { name: 'ssh to a closed port', user: 'root', argv: [...nasToNasSshArgv('root', { host: '127.0.0.1', port: 1 }), 'true'], code: 'HOST_UNREACHABLE', privileged: false },
  { name: 'ssh to an unknown name', user: 'root', argv: [...nasToNasSshArgv('root', { host: 'nas-nowhere', port: 22 }), 'true'], code: 'HOST_UNREACHABLE', privileged: false },
  { name: 'ssh without an authorized key', user: 'root', argv: ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-p', '22', '-l', 'sudopw', 'nas-b', 'true'], code: 'AUTH_FAILED', privileged: false },
];

describe('real stderr through the runner', () => {
  for (const c of cases) {
    it(`${c.name} -> ${c.code}`, async () => {
      const error = await runners[c.user]!.run(c.argv, { privileged: c.privileged ?? true, timeoutMs: 60_000 }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(AppFailure);
      const failure = error as AppFailure;
      const details = failure.appError.details as { stderr: string; exitCode: number | null; command: string };
      captured.push({ case: c.name, user: c.user, command: details.command, exitCode: details.exitCode, stderr: details.stderr, code: failure.code });
      console.log(`[ssh-it] ${c.name}: ${failure.code} <- exit ${details.exitCode}: ${JSON.stringify(details.stderr)}`);
      expect(c.code.split('|')).toContain(failure.code);
    });
  }
});
