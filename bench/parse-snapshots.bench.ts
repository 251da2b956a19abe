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

const runs: number[] = [];
let parsed = 0;
for (let i = 0; i < 10; i++) {
  const start = performance.now();
  parsed = parseSnapshotList(text).length;
  runs.push(performance.now() - start);
}
runs.sort((a, b) => a - b);
const median = runs[Math.floor(runs.length / 2)]!;
const best = runs[0]!;
console.log(`parsed ${parsed} records: median ${median.toFixed(1)} ms, best ${best.toFixed(1)} ms over ${runs.length} runs (goal < ${goalMs} ms)`);
console.log(median < goalMs ? 'OK' : 'SLOWER THAN THE GOAL');
