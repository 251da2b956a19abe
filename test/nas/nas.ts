// NAS test bed CLI (Node 24 runs this .ts file directly):
//
//   node test/nas/nas.ts build            build the cached image (idempotent; ~4-5 min cold)
//   node test/nas/nas.ts up [--detach]    boot nas-a (pool tank) + nas-b (pool backup), print how to
//                                         reach them; stays up until Ctrl-C (or detaches: see `down`)
//        [--info-file FILE]               also write the test bed as JSON to FILE once ready: with
//                                         ZRD_TESTBED_FILE=FILE, vitest's integration project and
//                                         Playwright use these VMs instead of booting their own
//        [--owner-pid PID]                stop the VMs and exit when process PID ends (npm test)
//   node test/nas/nas.ts down [ID...|--all] stop detached runs and stragglers of crashed runs (not
//                                         runs whose owner is alive, unless --all or named by ID)
//   node test/nas/nas.ts status           image and recorded runs
//   node test/nas/nas.ts demo             `up` + sample datasets and a day of hourly snapshots on nas-a

import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import {
  BUILD_SCRIPT, USERS, bootTestbed, cacheDir, currentImage, downRuns, runStatus, sshOk, testbedInfo, writeTestbedFile,
} from './testbed.ts';
import type { Testbed, VmInfo } from './testbed.ts';

function usage(): never {
  process.stderr.write(
    'usage: node test/nas/nas.ts build | up [--detach] [--info-file FILE] [--owner-pid PID] | down [RUN_ID...|--all] | status | demo\n' +
      'env: ZRD_NAS_CACHE (image cache dir), ZRD_NAS_MEM (MiB per VM), ZRD_NAS_BOOT_TIMEOUT_MS\n',
  );
  process.exit(2);
}

function printAccess(tb: Testbed): void {
  const lines: string[] = [];
  lines.push('');
  lines.push('NAS test bed is up (everything on 127.0.0.1; the VMs reach each other as nas-a / nas-b):');
  for (const vm of tb.vms) {
    lines.push('');
    lines.push(`  ${vm.name}   host 127.0.0.1   port ${vm.port}   pool ${vm.pool}   (peer address inside the VMs: ${vm.peerAddress ?? '-'})`);
    lines.push(`    root  / ${vm.users.root.password}`);
    lines.push(`    admin / ${vm.users.admin.password}   (sudo zfs, sudo zpool without password)`);
    lines.push(`    ssh -i ${tb.keyPath} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${vm.port} root@127.0.0.1`);
  }
  lines.push('');
  lines.push(`  other users: delegate / ${USERS.delegate.password} (zfs allow, no sudo), sudopw / ${USERS.sudopw.password} (sudo asks for a password)`);
  lines.push(`  test key: ${tb.keyPath}   run dir: ${tb.runDir}`);
  lines.push('');
  process.stdout.write(lines.join('\n') + '\n');
}

function optionValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) usage();
  return value;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForever(tb: Testbed, ownerPid?: number, cleanup: () => void = () => {}): Promise<never> {
  process.stdout.write(ownerPid ? `The VMs stop with process ${ownerPid} (or on SIGTERM).\n` : 'Press Ctrl-C to stop the VMs.\n');
  process.on('exit', cleanup);
  setInterval(() => {
    // keeps the event loop alive; SIGINT/SIGTERM handlers of bootTestbed stop the VMs and exit
    if (ownerPid && !isAlive(ownerPid)) {
      process.stdout.write(`process ${ownerPid} ended: stopping the VMs\n`);
      void tb.stop().finally(() => process.exit(0));
    }
  }, ownerPid ? 2000 : 1 << 30);
  await new Promise(() => {});
  await tb.stop();
  process.exit(0);
}

/** Sample data on nas-a: datasets, a zvol, a name with a space, 24 hourly snapshots. */
async function populateDemo(vm: VmInfo): Promise<void> {
  const p = vm.pool;
  const script = `
set -euo pipefail
p=${p}
zfs create "$p/documents"
zfs create "$p/photos"
zfs create "$p/photos/2025"
zfs create "$p/photos/2026"
zfs create "$p/my documents"
zfs create -V 64M "$p/vm-disk"
zfs set com.example:purpose=demo "$p/documents"
echo "Quarterly report draft" > "/$p/documents/report.txt"
echo "Shopping list" > "/$p/my documents/list.txt"
head -c 256K /dev/urandom > "/$p/photos/2025/beach.jpg"
for i in $(seq 1 50); do [ -e "/dev/zvol/$p/vm-disk" ] && break; udevadm settle -t 1 || sleep 0.2; done
for h in $(seq -w 0 23); do
  echo "edit at $h:00" >> "/$p/documents/report.txt"
  head -c 32K /dev/urandom > "/$p/photos/2026/img-$h.jpg"
  if [ $((10#$h % 6)) -eq 0 ]; then echo "note $h" >> "/$p/my documents/list.txt"; fi
  if [ -e "/dev/zvol/$p/vm-disk" ]; then
    dd if=/dev/urandom of="/dev/zvol/$p/vm-disk" bs=64K count=1 seek=$((10#$h)) conv=notrunc,fsync status=none
  fi
  zfs snapshot -r "$p@auto-2026-11-21_$h-00"
done
zfs list -o name,used,refer,mountpoint -r "$p"
echo "snapshots: $(zfs list -H -t snapshot -o name -r "$p" | wc -l)"
`;
  const out = await sshOk(vm, 'root', 'bash -s', { input: script, timeoutMs: 300000 });
  process.stdout.write(out);
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'build': {
      const r = spawnSync('bash', [BUILD_SCRIPT, ...rest], { stdio: 'inherit' });
      process.exit(r.status ?? 1);
      break;
    }
    case 'up': {
      const detached = rest.includes('--detach');
      const infoFile = optionValue(rest, '--info-file');
      const owner = optionValue(rest, '--owner-pid');
      const ownerPid = owner === undefined ? undefined : Number(owner);
      if (ownerPid !== undefined && !(Number.isInteger(ownerPid) && ownerPid > 0)) usage();
      if (detached && ownerPid) usage();
      const tb = await bootTestbed({ detached });
      printAccess(tb);
      if (infoFile) {
        writeTestbedFile(infoFile, testbedInfo(tb));
        process.stdout.write(`Test bed written to ${infoFile}: ZRD_TESTBED_FILE=${infoFile} makes vitest and Playwright use these VMs.\n`);
      }
      if (detached) {
        process.stdout.write('Detached: stop with `node test/nas/nas.ts down`.\n');
        process.exit(0);
      }
      // The file names VMs that are about to stop: remove it with them.
      await waitForever(tb, ownerPid, () => { if (infoFile) rmSync(infoFile, { force: true }); });
      break;
    }
    case 'demo': {
      const tb = await bootTestbed({});
      const a = tb.vms.find((v) => v.name === 'nas-a');
      if (!a) throw new Error('no nas-a');
      process.stdout.write(`Populating ${a.name}:${a.pool} (datasets, a zvol, 24 hourly snapshots)...\n`);
      await populateDemo(a);
      printAccess(tb);
      await waitForever(tb);
      break;
    }
    case 'down': {
      const all = rest.includes('--all');
      const ids = rest.filter((a) => !a.startsWith('--'));
      const n = await downRuns({ ids, all });
      process.stdout.write(n ? `stopped ${n} run(s)\n` : 'nothing to stop\n');
      break;
    }
    case 'status': {
      process.stdout.write(`cache: ${cacheDir()}\n`);
      try {
        const img = currentImage();
        process.stdout.write(`image: ${img.dir} (key ${img.key}, kernel ${img.kernelAbi}, OpenZFS ${img.zfsVersion})\n`);
      } catch {
        process.stdout.write('image: none (run `node test/nas/nas.ts build`)\n');
      }
      const runs = runStatus();
      if (runs.length === 0) process.stdout.write('runs: none\n');
      for (const r of runs) {
        process.stdout.write(`run ${r.id}: owner pid ${r.ownerPid}${r.detached ? ' (detached)' : ''}, started ${r.startedAt}, ${r.runDir}\n`);
        for (const v of r.vms) {
          process.stdout.write(`  ${v.name}: pid ${v.pid} ${r.alive[v.name] ? 'running' : 'gone'}, ssh 127.0.0.1:${v.port}, pool ${v.pool}\n`);
        }
      }
      break;
    }
    default:
      usage();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
