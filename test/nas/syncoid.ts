// syncoid for the benchmark, without installing anything on this machine.
//
// Debian's `sanoid` package (the only one that ships syncoid) depends on zfs-fuse | zfsutils-linux: installing it
// on a machine without ZFS pulls in zfs-fuse, which enables zfs-fuse.service, and sanoid itself enables
// sanoid.timer. The benchmark only needs the syncoid script and what it runs on this machine (it relays between
// two remote NASes: perl with Capture::Tiny, and lzop, mbuffer and pv in the pipe it builds, as in a normal
// install). So the .debs are downloaded with `apt-get download` (no root, no dpkg database, no maintainer
// scripts) and unpacked with `dpkg-deb -x` into the cache, once; syncoid then runs from there with PATH, PERL5LIB and
// LD_LIBRARY_PATH pointing into it.
//
// The packages come from this machine's apt sources; when those have no package lists (or another distribution's),
// from the NAS image's private bookworm apt state that build-image.sh keeps in the cache.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './testbed.ts';

/** What syncoid runs on the machine that relays (both ends remote), and the one library that is not in a base system. */
export const SYNCOID_PACKAGES = ['sanoid', 'libcapture-tiny-perl', 'lzop', 'liblzo2-2', 'mbuffer', 'pv'] as const;

export interface Syncoid {
  /** Absolute path of the syncoid script. */
  command: string;
  version: string;
  /** Folder the packages were unpacked into. */
  root: string;
  /** `base` with PATH, PERL5LIB and LD_LIBRARY_PATH reaching the unpacked files (PATH of `base` kept after ours). */
  env(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
}

function syncoidDir(): string {
  return join(cacheDir(), 'syncoid');
}

/** apt options that point apt-get at build-image.sh's private bookworm state (same layout as its APT_OPTS). */
function privateAptOptions(): string[] {
  const apt = join(cacheDir(), 'apt');
  return [
    '-o', `Dir::Etc::SourceList=${join(apt, 'sources.list')}`, '-o', 'Dir::Etc::SourceParts=/nonexistent',
    '-o', 'Dir::Etc::Preferences=/nonexistent', '-o', `Dir::Etc::PreferencesParts=${join(apt, 'prefs.d')}`,
    '-o', `Dir::State::Lists=${join(apt, 'lists')}`, '-o', `Dir::State::status=${join(apt, 'status')}`,
    '-o', `Dir::Cache=${join(apt, 'cache')}`, '-o', `Dir::Cache::pkgcache=${join(apt, 'cache', 'pkgcache.bin')}`,
    '-o', `Dir::Cache::srcpkgcache=${join(apt, 'cache', 'srcpkgcache.bin')}`,
    '-o', 'APT::Architecture=amd64', '-o', 'APT::Architectures=amd64', '-o', 'Debug::NoLocking=1',
  ];
}

function download(dir: string, extraOptions: string[]): { ok: boolean; output: string } {
  // As root apt would hand the download to its unprivileged _apt user, who cannot write a temp dir of ours.
  const sandbox = process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : [];
  const r = spawnSync('apt-get', ['-q', ...sandbox, ...extraOptions, 'download', ...SYNCOID_PACKAGES], { cwd: dir, encoding: 'utf8' });
  const debs = readdirSync(dir).filter((f) => f.endsWith('.deb'));
  const ok = r.status === 0 && SYNCOID_PACKAGES.every((p) => debs.some((f) => f.startsWith(`${p}_`)));
  return { ok, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

function environment(root: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const joined = (dirs: string[], rest?: string) => [...dirs, ...(rest ? [rest] : [])].join(':');
  return {
    ...base,
    PATH: joined([join(root, 'usr', 'bin'), join(root, 'usr', 'sbin'), join(root, 'bin')], base.PATH ?? '/usr/bin:/bin'),
    PERL5LIB: joined([join(root, 'usr', 'share', 'perl5')], base.PERL5LIB),
    LD_LIBRARY_PATH: joined([join(root, 'usr', 'lib', 'x86_64-linux-gnu'), join(root, 'lib', 'x86_64-linux-gnu')], base.LD_LIBRARY_PATH),
  };
}

function versionOf(command: string, root: string): string | null {
  const r = spawnSync('perl', [command, '--version'], { env: environment(root), encoding: 'utf8' });
  return r.status === 0 ? (/version ([\d.]+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? null) : null;
}

function syncoidAt(root: string): Syncoid | null {
  const command = join(root, 'usr', 'sbin', 'syncoid');
  if (!existsSync(command)) return null;
  const version = versionOf(command, root);
  return version ? { command, version, root, env: (base) => environment(root, base) } : null;
}

/** syncoid unpacked in the cache (downloaded on first use, ~1 MB); throws with apt's output when it cannot be had. */
export function ensureSyncoid(log: (message: string) => void = (m) => process.stderr.write(`[syncoid] ${m}\n`)): Syncoid {
  const dir = syncoidDir();
  const current = join(dir, 'current');
  const cached = syncoidAt(current);
  if (cached) return cached;

  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, '.fetch-'));
  try {
    const debs = join(work, 'debs');
    mkdirSync(debs);
    log(`downloading ${SYNCOID_PACKAGES.join(', ')} (apt-get download: nothing is installed)`);
    let got = download(debs, []);
    if (!got.ok && existsSync(join(cacheDir(), 'apt', 'sources.list'))) {
      log("this machine's apt sources could not provide them; trying the NAS image's bookworm package lists");
      for (const f of readdirSync(debs)) rmSync(join(debs, f));
      got = download(debs, privateAptOptions());
    }
    if (!got.ok) throw new Error(`could not download syncoid's packages with apt-get download:\n${got.output.split('\n').slice(-15).join('\n')}\n(run \`apt-get update\`, or build the NAS image once: \`node test/nas/nas.ts build\`)`);
    const root = join(work, 'root');
    mkdirSync(root);
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
      const x = spawnSync('dpkg-deb', ['-x', join(debs, deb), root], { encoding: 'utf8' });
      if (x.status !== 0) throw new Error(`dpkg-deb -x ${deb} failed: ${x.stderr}`);
    }
    // Nothing from the packages' units, timers or configuration is used; keep only files (no scripts ran).
    writeFileSync(join(root, 'PACKAGES'), readdirSync(debs).filter((f) => f.endsWith('.deb')).join('\n') + '\n');
    const found = syncoidAt(root);
    if (!found) throw new Error(`syncoid unpacked into ${root} does not run (perl ${root}/usr/sbin/syncoid --version failed)`);
    rmSync(current, { recursive: true, force: true });
    renameSync(root, current);
    log(`syncoid ${found.version} ready in ${current} (${readFileSync(join(current, 'PACKAGES'), 'utf8').trim().split('\n').join(', ')})`);
    return syncoidAt(current)!;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// `node test/nas/syncoid.ts`: fetch (once) and print where syncoid is.
if (import.meta.main) {
  const s = ensureSyncoid();
  process.stdout.write(`${s.command} (syncoid ${s.version})\n`);
}
