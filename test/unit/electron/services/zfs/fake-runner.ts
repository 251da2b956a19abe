import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandRunner, RunOptions, RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import type { ZfsCapabilities } from '../../../../../electron/services/zfs/capabilities.ts';
import type { ZfsHost } from '../../../../../electron/services/zfs/zfs-host.ts';

// The one mock of the ZFS tests: a CommandRunner that records each argv and answers with fixture text
// captured from the test VMs (test/fixtures/zfs, made by capture.ts).

const fixtureDir = join(dirname(fileURLToPath(import.meta.url)), '../../../../fixtures/zfs');

export function fixture(name: string): string {
  return readFileSync(join(fixtureDir, name), 'utf8');
}

export interface RecordedCall {
  argv: readonly string[];
  options: RunOptions | undefined;
}

type Reply = Partial<RunResult> | Error;

export class FakeRunner implements CommandRunner {
  readonly label = 'root@fake-nas:22';
  readonly calls: RecordedCall[] = [];
  readonly #replies: Array<Reply | ((argv: readonly string[]) => Reply)> = [];

  /** Queue the answer to the next call: stdout text, a partial result, an error to throw, or a function of argv. */
  reply(answer: string | Reply | ((argv: readonly string[]) => Reply)): this {
    this.#replies.push(typeof answer === 'string' ? { stdout: answer } : answer);
    return this;
  }

  async run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    // Like the ssh runner: a gated command starts (and is seen by the NAS) only once its gate opens.
    await options?.startWhen;
    this.calls.push({ argv: [...argv], options });
    const next = this.#replies.shift() ?? {};
    const answer = typeof next === 'function' ? next(argv) : next;
    if (answer instanceof Error) throw answer;
    return { exitCode: 0, stdout: '', stderr: '', ...answer };
  }
}

/** Capabilities as probed on the test VM nas-a (test/fixtures/zfs/probe-nas-a-root.txt). */
export const testCapabilities: ZfsCapabilities = {
  os: 'Linux',
  osRelease: '6.1.0-cloud-amd64',
  loginIsRoot: true,
  tools: { zfs: '/usr/sbin/zfs', zpool: '/usr/sbin/zpool' },
  userland: { major: 2, minor: 3, patch: 2, text: 'zfs-2.3.2-2~bpo12+2' },
  kernel: { major: 2, minor: 3, patch: 2, text: 'zfs-kmod-2.3.2-2~bpo12+2' },
  jsonOutput: true,
  timeZone: 'UTC',
  pools: {},
};

export function fakeHost(runner = new FakeRunner()): { host: ZfsHost; runner: FakeRunner } {
  return { host: { runner, capabilities: testCapabilities }, runner };
}
