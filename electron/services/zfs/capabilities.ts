import { AppFailure } from '../../../shared/result.ts';
import { isTimeZone } from '../../../shared/time-zone.ts';
import type { CommandRunner } from '../ssh/command-runner.ts';
import { field, tabularFormat } from './tabular-output.ts';
import type { CallOptions, ZfsToolPaths } from './zfs-host.ts';

// What one NAS can do, found by one remote command: a fixed shell script (no user data goes into it) that prints
// "key<TAB>value" lines. It runs unprivileged (sudo is often allowed for zfs and zpool only, not for sh), which is
// enough: listing versions, paths and pool features needs no root.

/** OpenZFS 2.0 unified Linux and FreeBSD; older releases lack what the app relies on (`zfs version`, holds -p,
 * `zfs send -w` and bookmark-based incrementals together). */
export const minimumOpenZfs = { major: 2, minor: 0 } as const;

export interface OpenZfsVersion {
  major: number;
  minor: number;
  patch: number;
  /** As printed, e.g. "zfs-2.3.2-2~bpo12+2". */
  text: string;
}

export type FeatureState = 'enabled' | 'active' | 'disabled';

export interface PoolCapabilities {
  /** `feature@name` without the prefix, e.g. { bookmarks: 'active', encryption: 'enabled' }. */
  features: Record<string, FeatureState>;
  /** Incremental sends from a bookmark (feature@bookmarks). */
  bookmarks: boolean;
  /** Encrypted datasets and raw sends, `zfs send -w` (feature@encryption). */
  encryption: boolean;
  /** `zfs receive -s` and resume tokens (feature@extensible_dataset). */
  resumableReceive: boolean;
  /** Records over 128 KiB; sends need -L to keep them (feature@large_blocks). */
  largeBlocks: boolean;
}

export interface ZfsCapabilities {
  /** `uname -s`: "Linux", "FreeBSD", ... */
  os: string;
  /** `uname -r` */
  osRelease: string;
  /** The login user is root (then sudo is pointless). */
  loginIsRoot: boolean;
  tools: ZfsToolPaths;
  /** The zfs command's own version. */
  userland: OpenZfsVersion;
  /** The loaded kernel module's version; null when `zfs version` did not print it (module not loaded). */
  kernel: OpenZfsVersion | null;
  /** `zfs list -j` works (OpenZFS 2.3+). */
  jsonOutput: boolean;
  /** The NAS's IANA time zone (what schedules and snapshot names default to); null when it could not be read. */
  timeZone: string | null;
  pools: Record<string, PoolCapabilities>;
}

/** Fixed text. PATH first lists the sbin folders where zfs lives on Linux, FreeBSD and TrueNAS. */
export const probeScript = [
  'PATH="/usr/sbin:/sbin:/usr/local/sbin:/usr/bin:/bin:/usr/local/bin:$PATH"',
  'LC_ALL=C',
  'export PATH LC_ALL',
  "line() { printf '%s\\t%s\\n' \"$1\" \"$2\"; }",
  'line os "$(uname -s)"',
  'line os-release "$(uname -r)"',
  'line uid "$(id -u)"',
  // The zone's name: /etc/localtime links into zoneinfo (systemd, TrueNAS SCALE, most BSDs); Debian also keeps
  // /etc/timezone; FreeBSD's tzsetup copies the file and records the name in /var/db/zoneinfo.
  'tz=$(readlink /etc/localtime 2>/dev/null) && case $tz in *zoneinfo/*) tz=${tz#*zoneinfo/} ;; *) tz= ;; esac',
  '[ -n "$tz" ] || tz=$(cat /etc/timezone 2>/dev/null)',
  '[ -n "$tz" ] || tz=$(cat /var/db/zoneinfo 2>/dev/null)',
  // No /etc/localtime at all: the C library runs on UTC (a minimal Debian without tzdata, say).
  '[ -n "$tz" ] || [ -e /etc/localtime ] || tz=UTC',
  '[ -z "$tz" ] || line timezone "$tz"',
  'zfs=$(command -v zfs) && line zfs "$zfs"',
  'zpool=$(command -v zpool) && line zpool "$zpool"',
  'if [ -n "$zfs" ]; then',
  '  "$zfs" version 2>/dev/null | while IFS= read -r v; do line version "$v"; done',
  '  if "$zfs" list -j -d 0 -o name >/dev/null 2>&1; then line json yes; else line json no; fi',
  'fi',
  'if [ -n "$zpool" ]; then',
  '  "$zpool" get -H -p -o name,property,value all 2>/dev/null | while IFS= read -r p; do',
  '    case $p in *feature@*) line feature "$p" ;; esac',
  '  done',
  'fi',
  'exit 0',
].join('\n');

export function buildProbeArgv(): string[] {
  return ['sh', '-c', probeScript];
}

/** Our own key/value output; "feature" values carry zpool's tab-separated pool, property and state. */
export const probeOutputFormat = tabularFormat({ key: field.text('key'), value: field.freeText('value') });

const versionPattern = /^zfs-(kmod-)?(\d+)\.(\d+)\.(\d+)/;

export function parseOpenZfsVersion(text: string): { kernel: boolean; version: OpenZfsVersion } | null {
  const match = versionPattern.exec(text.trim());
  if (!match) return null;
  return {
    kernel: match[1] !== undefined,
    version: { major: Number(match[2]), minor: Number(match[3]), patch: Number(match[4]), text: text.trim() },
  };
}

export function isAtLeast(version: Pick<OpenZfsVersion, 'major' | 'minor'>, minimum: { major: number; minor: number }): boolean {
  return version.major > minimum.major || (version.major === minimum.major && version.minor >= minimum.minor);
}

function poolCapabilities(features: Record<string, FeatureState>): PoolCapabilities {
  const has = (name: string) => features[name] === 'enabled' || features[name] === 'active';
  return {
    features,
    bookmarks: has('bookmarks'),
    encryption: has('encryption'),
    resumableReceive: has('extensible_dataset'),
    largeBlocks: has('large_blocks'),
  };
}

/**
 * Reads the probe's output. `label` names the NAS in errors. Throws COMMAND_NOT_FOUND when zfs is missing and
 * UNSUPPORTED_VERSION when it is not OpenZFS 2.0 or newer.
 */
export function parseProbeOutput(stdout: string, label: string): ZfsCapabilities {
  const values = new Map<string, string[]>();
  for (const { key, value } of probeOutputFormat.parse(stdout, 'capability probe')) {
    const list = values.get(key) ?? [];
    list.push(value);
    values.set(key, list);
  }
  const one = (key: string) => values.get(key)?.[0] ?? '';

  const zfs = one('zfs');
  const zpool = one('zpool');
  if (!zfs.startsWith('/') || !zpool.startsWith('/')) {
    const missing = [zfs.startsWith('/') ? null : 'zfs', zpool.startsWith('/') ? null : 'zpool'].filter((x) => x !== null);
    throw new AppFailure(
      'COMMAND_NOT_FOUND',
      `${label}: ${missing.join(' and ')} not found (looked in the PATH and in /usr/sbin, /sbin, /usr/local/sbin).`,
      'Is OpenZFS installed on this NAS? The app needs the zfs and zpool commands.',
      { os: one('os') },
    );
  }

  let userland: OpenZfsVersion | null = null;
  let kernel: OpenZfsVersion | null = null;
  for (const line of values.get('version') ?? []) {
    const parsed = parseOpenZfsVersion(line);
    if (parsed?.kernel) kernel ??= parsed.version;
    else if (parsed) userland ??= parsed.version;
  }
  const required = `OpenZFS ${minimumOpenZfs.major}.${minimumOpenZfs.minor} or newer`;
  if (userland === null) {
    throw new AppFailure(
      'UNSUPPORTED_VERSION',
      `${label}: "zfs version" printed no OpenZFS version; this ZFS is older than OpenZFS 0.8 or not OpenZFS at all.`,
      `The app needs ${required} (TrueNAS 12+, Debian 11+, Ubuntu 22.04+, FreeBSD 13+).`,
      { versionOutput: values.get('version') ?? [] },
    );
  }
  for (const version of [userland, kernel]) {
    if (version && !isAtLeast(version, minimumOpenZfs)) {
      throw new AppFailure(
        'UNSUPPORTED_VERSION',
        `${label} runs ${version.text}; the app needs ${required}.`,
        'Upgrade OpenZFS on this NAS (TrueNAS 12+, Debian 11+ with backports, Ubuntu 22.04+, FreeBSD 13+).',
        { userland: userland.text, kernel: kernel?.text ?? null },
      );
    }
  }

  const featuresByPool = new Map<string, Record<string, FeatureState>>();
  for (const line of values.get('feature') ?? []) {
    const [pool, property, state] = line.split('\t');
    if (pool === undefined || !property?.startsWith('feature@') || (state !== 'enabled' && state !== 'active' && state !== 'disabled')) continue;
    const features = featuresByPool.get(pool) ?? {};
    features[property.slice('feature@'.length)] = state;
    featuresByPool.set(pool, features);
  }

  return {
    os: one('os'),
    osRelease: one('os-release'),
    loginIsRoot: one('uid') === '0',
    tools: { zfs, zpool },
    userland,
    kernel,
    jsonOutput: one('json') === 'yes',
    timeZone: isTimeZone(one('timezone').trim()) ? one('timezone').trim() : null,
    pools: Object.fromEntries([...featuresByPool].map(([pool, features]) => [pool, poolCapabilities(features)])),
  };
}

/** Probes one NAS in one remote command. */
export async function probeCapabilities(runner: CommandRunner, options: CallOptions = {}): Promise<ZfsCapabilities> {
  const { stdout } = await runner.run(buildProbeArgv(), { ...options, privileged: false });
  return parseProbeOutput(stdout, runner.label);
}
