import { describe, expect, it } from 'vitest';
import { transferStream, type TransferRequest, type TransferSide } from '../../../../../electron/services/replication/stream-transfer.ts';
import type { CommandRunner, RunOptions, RunResult } from '../../../../../electron/services/ssh/command-runner.ts';
import { AppFailure } from '../../../../../shared/result.ts';

// A full destination pool must be named, with the NAS it is on, whichever side's stderr reported it: in direct mode
// the receive's "out of space" reaches the app through the source NAS's ssh (and so the source's runner).

const tools = { zfs: '/usr/sbin/zfs', zpool: '/usr/sbin/zpool' };
const noSpace = (label: string) => new AppFailure('NO_SPACE', `${label}: the pool is out of space.`, 'Free space on the NAS.', { command: 'zfs receive', exitCode: 1 });

function side(label: string, run: (argv: readonly string[], options?: RunOptions) => Promise<RunResult>): TransferSide {
  const runner: CommandRunner = { label, run };
  return { runner, tools, privilege: 'root' };
}

const finished = async (_argv: readonly string[], options?: RunOptions): Promise<RunResult> => {
  options?.stdoutTo?.end();
  return { stdout: '', stderr: '', exitCode: 0 } as RunResult;
};

function request(transport: TransferRequest['transport'], source: TransferSide, destination: TransferSide): TransferRequest {
  return {
    source,
    destination,
    send: { kind: 'full', snapshot: 'tank/docs@s1' },
    sendFlags: {},
    receive: { target: 'small/replica/docs' },
    transport,
    compression: 'none',
    bandwidthLimitKiBps: null,
  };
}

describe('transferStream errors', () => {
  it('relay: the destination\'s "out of space" names the destination pool and says the run resumes', async () => {
    const failing = side('root@nas-b:22', async () => { throw noSpace('root@nas-b:22'); });
    const error = await transferStream(request({ kind: 'relay' }, side('root@nas-a:22', finished), failing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppFailure);
    const failure = error as AppFailure;
    expect(failure.code).toBe('NO_SPACE');
    expect(failure.message).toBe('root@nas-b:22: pool "small" is out of space (receiving small/replica/docs).');
    expect(failure.appError.hint).toContain('resumes');
    expect(failure.appError.details).toMatchObject({ pool: 'small', dataset: 'small/replica/docs', command: 'zfs receive' });
  });

  it('a quota exceeded is named as the dataset\'s quota, not as a full pool', async () => {
    const overQuota = new AppFailure('NO_SPACE', 'root@nas-b:22: no space.', 'Free space.', { command: 'zfs receive', exitCode: 1, stderr: 'cannot receive incremental stream: destination small/replica/docs space quota exceeded.\n' });
    const failing = side('root@nas-b:22', async () => { throw overQuota; });
    const error = (await transferStream(request({ kind: 'relay' }, side('root@nas-a:22', finished), failing)).catch((e: unknown) => e)) as AppFailure;
    expect(error.code).toBe('NO_SPACE');
    expect(error.message).toBe('root@nas-b:22: small/replica/docs is over its quota (space quota exceeded while receiving).');
    expect(error.appError.hint).toContain('Raise or remove the quota of small/replica/docs');
    expect(error.appError.hint).toContain('resumes');
  });

  it('direct: reported by the source\'s ssh, still named as the destination\'s pool', async () => {
    const source = side('root@nas-a:22', async () => { throw noSpace('root@nas-a:22'); });
    const error = (await transferStream(request({ kind: 'direct', host: 'nas-b', port: 22, user: 'root', meter: 'none' }, source, side('root@nas-b:22', finished))).catch((e: unknown) => e)) as AppFailure;
    expect(error.code).toBe('NO_SPACE');
    expect(error.message).toBe('root@nas-b:22: pool "small" is out of space (receiving small/replica/docs).');
  });

  it('a connection lost mid-stream keeps its message and says the next run resumes', async () => {
    const lost = new AppFailure('HOST_UNREACHABLE', 'Lost the connection to root@nas-b:22 while running "zfs receive".', 'The command may or may not have completed: check before retrying.', { command: 'zfs receive' });
    const error = (await transferStream(request({ kind: 'relay' }, side('root@nas-a:22', finished), side('root@nas-b:22', async () => { throw lost; }))).catch((e: unknown) => e)) as AppFailure;
    expect(error.code).toBe('HOST_UNREACHABLE');
    expect(error.message).toBe(lost.message);
    expect(error.appError.hint).toMatch(/network.*resumes/);
    expect(error.appError.details).toMatchObject({ command: 'zfs receive' });
  });

  it('other errors pass through unchanged', async () => {
    const refused = new AppFailure('PERMISSION_DENIED', 'root@nas-b:22: permission denied.');
    const error = await transferStream(request({ kind: 'relay' }, side('root@nas-a:22', finished), side('root@nas-b:22', async () => { throw refused; }))).catch((e: unknown) => e);
    expect(error).toBe(refused);
  });
});
