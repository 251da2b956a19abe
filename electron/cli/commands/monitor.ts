import { parseArgs } from 'node:util';
import { toAppError } from '../../../shared/result.ts';
import { defaultLagThresholds, monitorExitCodes, monitorLine, replicaLag, type LagThresholds } from '../../services/monitor/replica-lag.ts';
import { invoke, type CliEnvironment } from '../cli-support.ts';

// `zfs-replication status --monitor`: a Nagios/Icinga check, like `sanoid --monitor-snapshots`. One line, exit 0 OK,
// 1 WARNING, 2 CRITICAL by how many scheduled times each replica missed (3 UNKNOWN when it cannot tell).

export const monitorUsage = `usage: zfs-replication status --monitor [TASK...] [--warn N] [--crit N] [--grace DURATION]
  One line for Nagios/Icinga; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. A replica is late by the scheduled
  times that passed since its last successful run started, each given a grace period to run in.
  --warn N          missed times for WARNING (default ${defaultLagThresholds.warnMissed})
  --crit N          missed times for CRITICAL (default ${defaultLagThresholds.critMissed})
  --grace DURATION  how long a run may take after its time (e.g. 90s, 10m, 1h; default half the interval, 30s-1h)
  Manual tasks are not checked; TASK names limit the check to those tasks.`;

/** 90s, 10m, 2h, 1d; a bare number is seconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/.exec(text.trim().toLowerCase());
  if (!match) return null;
  const factor = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3600_000, d: 86_400_000 }[match[2] ?? 's'] ?? 1000;
  return Math.round(Number(match[1]) * factor);
}

export async function monitorCommand(argv: string[], env: CliEnvironment, now: () => Date = () => new Date()): Promise<number> {
  const { io } = env;
  const unknown = (message: string) => {
    io.out(`UNKNOWN: ${message.replace(/[\r\n|]/g, ' ')}`);
    return monitorExitCodes.UNKNOWN;
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        monitor: { type: 'boolean', default: true },
        warn: { type: 'string' },
        crit: { type: 'string' },
        grace: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return unknown(`${(error as Error).message} (see zfs-replication status --monitor --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(monitorUsage);
    return monitorExitCodes.OK;
  }
  const thresholds: LagThresholds = { ...defaultLagThresholds };
  for (const [flag, key] of [['warn', 'warnMissed'], ['crit', 'critMissed']] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) return unknown(`--${flag} ${text}: give a number of missed scheduled times (1 or more)`);
    thresholds[key] = value;
  }
  if (thresholds.critMissed < thresholds.warnMissed) return unknown(`--crit (${thresholds.critMissed}) must not be below --warn (${thresholds.warnMissed})`);
  if (values.grace !== undefined) {
    const grace = parseDuration(values.grace);
    if (grace === null) return unknown(`--grace ${values.grace}: give a duration like 90s, 10m or 1h`);
    thresholds.graceMs = grace;
  }
  try {
    const core = await env.openCore();
    const listed = await invoke(core, 'listTasks', {});
    const wanted = positionals.map((p) => p.toLowerCase());
    const missing = wanted.filter((name) => !listed.some((t) => t.task.name.toLowerCase() === name || t.task.id === name));
    if (missing.length > 0) return unknown(`no replication task ${missing.map((m) => `"${m}"`).join(', ')}`);
    const tasks = listed.filter((t) => wanted.length === 0 || wanted.includes(t.task.name.toLowerCase()) || wanted.includes(t.task.id));
    const at = now();
    const lags = [];
    for (const { task } of tasks) lags.push(replicaLag(task, await invoke(core, 'listRuns', { taskId: task.id }), at, thresholds));
    const { status, line } = monitorLine(lags);
    io.out(line);
    return monitorExitCodes[status];
  } catch (error) {
    return unknown(toAppError(error).message);
  }
}
