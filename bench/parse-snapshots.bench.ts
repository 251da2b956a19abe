// Not a test: `node bench/parse-snapshots.bench.ts` prints how long parsing 100,000 lines of
// `zfs list -H -p -t snapshot,bookmark` takes. Goal: under 50 ms on a developer machine.
import { parseSnapshotList, snapshotListFormat } from '../electron/services/zfs/snapshots.ts';

const lineCount = 100_000;
const goalMs = 50;

/** Lines shaped like the VM's output (test/fixtures/zfs/list-snapshots-2000.txt): one dataset in ten, one bookmark in twenty. */
function syntheticOutput(): string {
  const lines: string[] = [];
  let guid = 9_007_199_254_740_993n; // past 2^53: guids must survive as text
  for (let i = 0; i < lineCount; i++) {
    const dataset = `tank/data/set ${i % 10}`;
    const stamp = `auto-2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}_00-00-${i}`;
    guid += 7_919_000_000_001n;
    const creation = 1_700_000_000 + i * 60;
    if (i % 20 === 19) lines.push(`${dataset}#${stamp}\tbookmark\t${guid}\t${1000 + i}\t${creation}\t-\t-\t-`);
    else lines.push(`${dataset}@${stamp}\tsnapshot\t${guid}\t${1000 + i}\t${creation}\t${(i * 4096) % 1_000_000}\t${123_456_789 + i}\t${i % 3 === 0 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

const text = syntheticOutput();
console.log(`columns: ${snapshotListFormat.outputList}`);
console.log(`input: ${lineCount} lines, ${(text.length / 1e6).toFixed(1)} MB`);

for (let i = 0; i < 3; i++) parseSnapshotList(text); // warm up the JIT

// Wall time, and CPU time of this process: on a shared machine (the test VMs use both cores) the wall time
// also counts waiting for a core, the CPU time does not.
const wall: number[] = [];
const cpu: number[] = [];
let parsed = 0;
for (let i = 0; i < 15; i++) {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  parsed = parseSnapshotList(text).length;
  wall.push(performance.now() - start);
  const used = process.cpuUsage(cpuStart);
  cpu.push((used.user + used.system) / 1000);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const best = (values: number[]) => Math.min(...values);
console.log(`parsed ${parsed} records in ${wall.length} runs (goal < ${goalMs} ms):`);
console.log(`  wall: median ${median(wall).toFixed(1)} ms, best ${best(wall).toFixed(1)} ms`);
console.log(`  cpu:  median ${median(cpu).toFixed(1)} ms, best ${best(cpu).toFixed(1)} ms`);
console.log(median(wall) < goalMs ? 'OK' : median(cpu) < goalMs ? 'OK in CPU time (the machine is busy: wall time includes waiting for a core)' : 'SLOWER THAN THE GOAL');
