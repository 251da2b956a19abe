// Not a test: `node bench/retention.bench.ts` prints how long one retention decision over 100,000 snapshots of a
// dataset takes (shared/retention.ts decideRetention, what the review screen and the prune both call).
// Goal: under 100 ms. Cases: a lifetime and a keep grid, in UTC and in a zone with daylight saving, plus the
// summary and a 12-month projection the review screen draws next to it.
import { namingSchema } from '../shared/naming-schema.ts';
import { decideRetention, projectRetention, summarizeRetention, type RetentionPolicy, type RetentionRequest, type RetentionSnapshot } from '../shared/retention.ts';

const count = 100_000;
const goalMs = 100;
const pattern = 'auto-%Y-%m-%d_%H-%M';
const HOUR = 3_600_000;
const now = Date.UTC(2026, 10, 21, 10, 30);

/** A snapshot every hour for 11.4 years (100,000 of them), one in 500 held, one in 1,000 outside the schema. */
function snapshots(timeZone: string): RetentionSnapshot[] {
  const schema = namingSchema(pattern, timeZone);
  const list: RetentionSnapshot[] = [];
  for (let i = 0; i < count; i++) {
    const time = now - (count - i) * HOUR;
    const name = i % 1000 === 999 ? `manual-${i}` : schema.format(new Date(time));
    list.push({ name, holds: i % 500 === 0 ? 1 : 0, usedBytes: 4096 + (i % 97) * 1024 });
  }
  return list;
}

const policies: Array<[string, RetentionPolicy]> = [
  ['lifetime 2 weeks', { kind: 'custom', amount: 2, unit: 'weeks' }],
  ['grid 24h/30d/8w/12m/10y', { kind: 'grid', last: 0, hourly: 24, daily: 30, weekly: 8, monthly: 12, yearly: 10 }],
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function measure(run: () => unknown, rounds = 15): { wall: number; cpu: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    run();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

interface Case {
  label: string;
  request: RetentionRequest;
}
const cases: Case[] = [];
const lists = new Map<string, RetentionSnapshot[]>();
for (const timeZone of ['UTC', 'Europe/Paris']) {
  const list = snapshots(timeZone);
  lists.set(timeZone, list);
  for (const [label, policy] of policies) {
    cases.push({ label: `${timeZone.padEnd(12)} ${label.padEnd(24)}`, request: { snapshots: list, policy, namingSchemas: [pattern], timeZone, now, commonBases: [{ taskId: 't', name: list[count - 10]!.name }] } });
  }
}
// Warm up every case first (the JIT, the heap's size, each zone's offset cache, as a long-running app has them).
for (let round = 0; round < 5; round++) for (const { request } of cases) summarizeRetention(decideRetention(request));

console.log(`retention decision over ${count.toLocaleString('en')} snapshots (goal < ${goalMs} ms); medians of 15 runs, wall and CPU time:`);
let worst = 0;
let worstCpu = 0;
for (const { label, request } of cases) {
  const decisions = decideRetention(request);
  const summary = summarizeRetention(decisions);
  const decide = measure(() => decideRetention(request));
  const summarize = measure(() => summarizeRetention(decisions));
  worst = Math.max(worst, decide.wall);
  worstCpu = Math.max(worstCpu, decide.cpu);
  console.log(`  ${label} decide ${decide.wall.toFixed(1)} ms (cpu ${decide.cpu.toFixed(1)}), summary ${summarize.wall.toFixed(1)} ms; keeps ${summary.keep}, prunes ${summary.prune}`);
}
for (const [timeZone, list] of lists) {
  const project = () => projectRetention({ request: { snapshots: list, policy: policies[1]![1], namingSchemas: [pattern], timeZone, now }, schedule: { expression: '0 * * * *', timeZone }, until: now + 365 * 24 * HOUR, points: 52 });
  project();
  const projection = measure(project, 5);
  console.log(`  ${timeZone.padEnd(12)} projection: 12 months of hourly runs (8,760), 52 points: ${projection.wall.toFixed(1)} ms (cpu ${projection.cpu.toFixed(1)})`);
}
console.log(worst < goalMs ? `OK: slowest decision ${worst.toFixed(1)} ms` : worstCpu < goalMs ? `OK in CPU time (${worstCpu.toFixed(1)} ms; the machine is busy: wall time includes waiting for a core)` : `SLOWER THAN THE GOAL: ${worst.toFixed(1)} ms`);
