// Not a test: `node bench/list-snapshots.bench.ts` measures listSnapshots of 100,000 snapshots end to end through
// the dispatcher every transport uses (createCore with a scripted NAS at the ssh seam: no network), and what each
// stage costs: the zfs output parse, the handler, the contract's response check, the JSON the bridge sends.
// Prints medians and ratios of one run (these machines are noisy: compare ratios, not milliseconds).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { verbs } from '../shared/contract.ts';
import { createCore } from '../electron/services/core.ts';
import { silentAppLog } from '../electron/services/logs/app-log.ts';
import type { CommandRunner, RunResult } from '../electron/services/ssh/command-runner.ts';
import { checkResponse } from '../electron/services/rpc/dispatcher.ts';
import { openConfStore } from '../electron/services/store/open-conf-store.ts';
import { parseSnapshotList } from '../electron/services/zfs/snapshots.ts';

const lineCount = Number(process.env.BENCH_SNAPSHOTS ?? 100_000);
const rounds = 9;

function syntheticOutput(): string {
  const lines: string[] = [];
  let guid = 9_007_199_254_740_993n;
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

const output = syntheticOutput();
const probe = readFileSync(path.join(import.meta.dirname, '..', 'test', 'fixtures', 'zfs', 'probe-nas-a-root.txt'), 'utf8');
const nas: CommandRunner = {
  label: 'root@bench:22',
  run: async (argv): Promise<RunResult> => {
    if (argv[0] === 'sh') return { exitCode: 0, stdout: probe, stderr: '' };
    if (argv[1] === 'list') return { exitCode: 0, stdout: output, stderr: '' };
    throw new Error(`bench: unexpected ${argv.join(' ')}`);
  },
};

const configDir = mkdtempSync(path.join(tmpdir(), 'zrd-bench-'));
const store = openConfStore(configDir);
const connection = store.saveConnection({ name: 'bench', host: 'bench.example', username: 'root', privilege: 'root' });
const core = createCore({
  store,
  configDir,
  appLog: silentAppLog,
  versions: { app: 'bench', node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'bridge' },
  runnerFor: () => nas,
});
const request = { connectionId: connection.id, dataset: 'tank/data', recursive: true };
const parsedRequest = verbs.listSnapshots.request.parse(request);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
async function measure(name: string, work: () => unknown): Promise<number> {
  for (let i = 0; i < 2; i++) await work();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await work();
    times.push(performance.now() - start);
  }
  const ms = median(times);
  console.log(`  ${name.padEnd(46)} ${ms.toFixed(1).padStart(8)} ms`);
  return ms;
}

console.log(`listSnapshots of ${lineCount} snapshots (${(output.length / 1e6).toFixed(1)} MB of zfs output), median of ${rounds}:`);
const parse = await measure('parse the zfs output', () => parseSnapshotList(output));
const handler = await measure('handler (runner + parse)', () => core.handlers.listSnapshots(parsedRequest, { client: null }));
const rows = await core.handlers.listSnapshots(parsedRequest, { client: null });
const check = await measure('full zod check of every row (not what runs)', () => verbs.listSnapshots.response.parse(rows));
const sampled = await measure('sampled check the dispatcher does', () => checkResponse(verbs.listSnapshots.response, rows));
const dispatched = await measure('through the dispatcher (request+handler+check)', () => core.call('listSnapshots', request));
const result = await core.call('listSnapshots', request);
const json = await measure('JSON.stringify of the result (bridge frame)', () => JSON.stringify({ id: 1, result }));
const clone = await measure('structuredClone of the result (Electron IPC)', () => structuredClone(result));
console.log(`  frame size: ${(JSON.stringify({ id: 1, result }).length / 1e6).toFixed(1)} MB`);
console.log('ratios:');
console.log(`  full check / handler:      ${(check / handler).toFixed(2)}`);
console.log(`  sampled check / handler:   ${(sampled / handler).toFixed(3)}`);
console.log(`  dispatcher / handler:      ${(dispatched / handler).toFixed(2)}`);
console.log(`  JSON / dispatcher:         ${(json / dispatched).toFixed(2)}`);
console.log(`  parse / handler:           ${(parse / handler).toFixed(2)}`);
console.log(`  IPC clone / dispatcher:    ${(clone / dispatched).toFixed(2)}`);
await core.dispose();
rmSync(configDir, { recursive: true, force: true });
