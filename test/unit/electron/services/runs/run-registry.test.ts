import { describe, expect, it } from 'vitest';
import { RunRegistry, type RunContext, type RunEvent } from '../../../../../electron/services/runs/run-registry.ts';
import { AppFailure } from '../../../../../shared/result.ts';

const spec = (taskId = 't-1', dryRun = false) => ({ kind: 'replication' as const, taskId, taskName: 'nightly', by: 'test', dryRun });

/** A run body that waits for release() or its cancel. */
function gated() {
  let release!: (value: string) => void;
  let context!: RunContext;
  let started!: () => void;
  const startedPromise = new Promise<void>((resolve) => (started = resolve));
  const body = (run: RunContext) => {
    context = run;
    started();
    return new Promise<string>((done, fail) => {
      release = done;
      run.signal.addEventListener('abort', () => fail(new AppFailure('CANCELLED', 'The transfer was cancelled.')));
    });
  };
  return { body, started: startedPromise, release: (value: string) => release(value), context: () => context };
}

const finished = () => ({ state: 'finished' as const, error: null });

describe('RunRegistry', () => {
  it('start returns at once with an id; steps, progress and log lines are events carrying it; the end is runFinished with the value', async () => {
    const events: RunEvent[] = [];
    const registry = new RunRegistry({ emit: (e) => events.push(e), progressIntervalMs: 0 });
    const gate = gated();
    const run = registry.start(spec(), gate.body, finished);
    expect(run.info()).toMatchObject({ runId: run.id, state: 'running', taskId: 't-1', finishedAt: null });
    expect(events.map((e) => e.name)).toEqual(['runStarted']);
    await gate.started;
    const context = gate.context();
    context.step({ dataset: 'tank/a', destination: 'backup/a', step: 'sending', detail: 'full @s1' });
    context.progress({ dataset: 'tank/a', bytesSent: 10, bytesTotal: 100, bytesPerSecond: 5, etaSeconds: 18 });
    context.log('info', 'sending');
    expect(registry.get(run.id)).toMatchObject({ datasets: [{ dataset: 'tank/a', step: 'sending' }], progress: { bytesSent: 10 } });
    gate.release('the report');
    expect(await run.done).toBe('the report');
    expect(events.map((e) => e.name)).toEqual(['runStarted', 'runStep', 'runProgress', 'runLog', 'runFinished']);
    expect(events.every((e) => ('run' in e.payload ? e.payload.run.runId : e.payload.runId) === run.id)).toBe(true);
    expect(events.at(-1)!.payload).toMatchObject({ run: { state: 'finished', finishedAt: expect.any(String) }, result: { kind: 'replication', report: 'the report' } });
    // A dataset caught mid-stream by the end is not reported as still sending.
    expect(registry.get(run.id)?.datasets[0]?.step).toBe('failed');
  });

  it('one run per task at a time (dry runs aside): the second start is BUSY and names the first', async () => {
    const registry = new RunRegistry({ emit: () => undefined });
    const gate = gated();
    const first = registry.start(spec(), gate.body, finished);
    expect(() => registry.start(spec(), async () => 'x', finished)).toThrow(expect.objectContaining({ code: 'BUSY', message: expect.stringContaining(first.id) }));
    const dry = registry.start(spec('t-1', true), async () => 'dry', finished);
    await expect(dry.done).resolves.toBe('dry');
    const other = registry.start(spec('t-2'), async () => 'other', finished);
    await expect(other.done).resolves.toBe('other');
    expect(registry.activeRunOf('t-1')?.runId).toBe(first.id);
    gate.release('done');
    await first.done;
    expect(registry.activeRunOf('t-1')).toBeUndefined();
  });

  it('cancel stops the run (cancelled, with the error); the next start runs; unknown or finished runs are not cancelled', async () => {
    const events: RunEvent[] = [];
    const registry = new RunRegistry({ emit: (e) => events.push(e) });
    const gate = gated();
    const run = registry.start(spec(), gate.body, finished);
    await gate.started;
    expect(registry.cancel(run.id)).toBe(true);
    await expect(run.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(registry.get(run.id)).toMatchObject({ state: 'cancelled', error: { code: 'CANCELLED' } });
    expect(events.at(-1)).toMatchObject({ name: 'runFinished', payload: { run: { state: 'cancelled' }, result: null } });
    expect(registry.cancel(run.id)).toBe(false);
    expect(registry.cancel('no-such-run')).toBe(false);
    const again = registry.start(spec(), async () => 'resumed', finished);
    await expect(again.done).resolves.toBe('resumed');
  });

  it("a report that says it failed ends the run as failed (or cancelled when the run was cancelled); the outcome decides", async () => {
    const registry = new RunRegistry({ emit: () => undefined });
    const failed = registry.start(spec(), async () => ({ result: 'FAILED' }), () => ({ state: 'failed', error: { code: 'NO_SPACE', message: 'full' } }));
    await failed.done;
    expect(registry.get(failed.id)).toMatchObject({ state: 'failed', error: { code: 'NO_SPACE' } });
    const gate = gated();
    const cancelled = registry.start(spec(), async (run) => {
      await new Promise((resolve) => run.signal.addEventListener('abort', resolve));
      return 'report of a stopped transfer';
    }, () => ({ state: 'failed', error: { code: 'CANCELLED', message: 'stopped' } }));
    registry.cancel(cancelled.id);
    await cancelled.done;
    expect(registry.get(cancelled.id)?.state).toBe('cancelled');
    void gate;
  });

  it('progress events are throttled, the latest progress is always in the run', async () => {
    const events: RunEvent[] = [];
    const registry = new RunRegistry({ emit: (e) => events.push(e), progressIntervalMs: 60_000 });
    const run = registry.start(spec(), async (context) => {
      for (let i = 1; i <= 5; i++) context.progress({ dataset: 'tank/a', bytesSent: i, bytesTotal: null, bytesPerSecond: 1, etaSeconds: null });
      return 'ok';
    }, finished);
    await run.done;
    expect(events.filter((e) => e.name === 'runProgress')).toHaveLength(1);
    expect(registry.get(run.id)?.progress?.bytesSent).toBe(5);
  });

  it('keeps the last finished runs (newest first after the running ones); dispose cancels what runs and waits', async () => {
    const registry = new RunRegistry({ emit: () => undefined, keepFinished: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = registry.start(spec(`t-${i}`), async () => i, finished);
      ids.push(run.id);
      await run.done;
    }
    const gate = gated();
    const running = registry.start(spec('t-9'), gate.body, finished);
    expect(registry.list().map((r) => r.runId)).toEqual([running.id, ids[2], ids[1]]);
    expect(registry.get(ids[0]!)).toBeUndefined();
    await gate.started;
    await registry.dispose();
    expect(registry.get(running.id)?.state).toBe('cancelled');
  });
});
