import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// VM CPU of the benches: what the emulated NAS boxes themselves spent, read from /proc (a wall-clock figure on this
// shared, noisy machine says less than the CPU the VMs burned).

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU seconds (user + system) the given qemu processes used so far; a process that is gone counts nothing. */
export function qemuCpuSeconds(pids: Iterable<number>): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / CLK_TCK;
}
