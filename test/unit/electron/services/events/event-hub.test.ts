import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../../../electron/services/events/event-bus.ts';
import { EventHub } from '../../../../../electron/services/events/event-hub.ts';
import type { EventName, RunInfo } from '../../../../../shared/contract.ts';
import { defaultSettings } from '../../../../../shared/schemas.ts';

const runId = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const info = (n: number): RunInfo => ({
  runId: runId(n),
  kind: 'replication',
  taskId: `task-${n}`,
  taskName: 'nightly',
  by: 'test',
  dryRun: false,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  state: 'running',
  datasets: [],
  progress: null,
  error: null,
});

function setup() {
  const bus = new EventBus();
  const hub = new EventHub(bus);
  const inbox = () => {
    const got: Array<{ name: EventName; payload: any }> = [];
    return { got, client: hub.connect((name, payload) => got.push({ name, payload })) };
  };
  const log = (n: number, message: string) => bus.emit('runLog', { runId: runId(n), taskId: `task-${n}`, at: 'now', level: 'info', message });
  return { bus, hub, inbox, log };
}

describe('EventHub: who gets which event', () => {
  it("a run's events go only to the clients subscribed to that run or to all runs", () => {
    const { bus, inbox, log } = setup();
    const dashboard = inbox();
    const watcher = inbox();
    const bystander = inbox();
    dashboard.client.subscribeRuns('all');
    watcher.client.subscribeRuns(runId(1));
    bus.emit('runStarted', { run: info(1) });
    bus.emit('runStarted', { run: info(2) });
    log(1, 'one');
    log(2, 'two');
    bus.emit('runProgress', { runId: runId(1), taskId: 'task-1', dataset: 'tank/a', bytesSent: 1, bytesTotal: null, bytesPerSecond: 1, etaSeconds: null });
    expect(dashboard.got.map((e) => e.name)).toEqual(['runStarted', 'runStarted', 'runLog', 'runLog', 'runProgress']);
    expect(watcher.got.map((e) => [e.name, e.payload.run?.runId ?? e.payload.runId])).toEqual([
      ['runStarted', runId(1)],
      ['runLog', runId(1)],
      ['runProgress', runId(1)],
    ]);
    expect(bystander.got).toEqual([]);
  });

  it('app events go to every client; a finished run ends its own subscription; unsubscribe and close stop delivery', () => {
    const { bus, hub, inbox, log } = setup();
    const a = inbox();
    const b = inbox();
    a.client.subscribeRuns(runId(1));
    bus.emit('connectionsChanged', { connections: [] });
    expect([a.got.length, b.got.length]).toEqual([1, 1]);
    bus.emit('runFinished', { run: { ...info(1), state: 'finished' }, result: null });
    expect(a.got.at(-1)?.name).toBe('runFinished');
    expect(a.client.wants(runId(1))).toBe(false);
    log(1, 'after the end');
    expect(a.got.at(-1)?.name).toBe('runFinished');

    b.client.subscribeRuns('all');
    expect(b.client.unsubscribeRuns('all')).toBe(true);
    expect(b.client.unsubscribeRuns('all')).toBe(false);
    log(3, 'nobody');
    expect(b.got.map((e) => e.name)).toEqual(['connectionsChanged']);

    let cleaned = 0;
    a.client.onClose(() => cleaned++);
    a.client.close();
    a.client.close();
    expect(cleaned).toBe(1);
    expect(hub.size).toBe(1);
    bus.emit('settingsChanged', { ...defaultSettings, theme: 'dark' });
    expect(a.got.at(-1)?.name).toBe('runFinished');
  });

  it('client-only events are never broadcast; send() reaches that client alone; a throwing sender does not stop the others', () => {
    const { bus, hub, inbox } = setup();
    const a = inbox();
    const b = inbox();
    hub.connect(() => {
      throw new Error('window gone');
    });
    bus.emit('taskLog', { taskId: 't', text: 'x\n', offset: 0, nextOffset: 2, size: 2, restarted: false });
    expect([a.got.length, b.got.length]).toEqual([0, 0]);
    a.client.send('taskLog', { taskId: 't', text: 'x\n', offset: 0, nextOffset: 2, size: 2, restarted: false });
    expect([a.got.length, b.got.length]).toEqual([1, 0]);
    bus.emit('connectionsChanged', { connections: [] });
    expect([a.got.length, b.got.length]).toEqual([2, 1]);
  });
});
