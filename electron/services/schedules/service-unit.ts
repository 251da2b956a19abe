import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// `zfs-replication schedule install`: the text of the systemd unit that keeps `zfs-replication daemon` running (a
// user unit, or a system unit running as a named user), or, where systemd is not the init system, a crontab line
// that runs `daemon --once` every minute (each run makes up what is due, once, then exits; the scheduler lock makes a
// second one stand aside). Pure text and paths: the unit tests check them, and nothing here touches the system.

export const serviceName = 'zfs-replication.service';

export interface DaemonCommand {
  /** The Node binary (absolute). */
  node: string;
  /** bin/zfs-replication.mjs (absolute). */
  script: string;
  /** The settings folder the daemon uses (ZRD_CONFIG_DIR). */
  configDir: string;
}

export interface UnitOptions extends DaemonCommand {
  scope: 'user' | 'system';
  /** system scope: the user the daemon runs as (its settings, its keys). */
  runAs?: string;
}

/** One argument of ExecStart= or a value of Environment=, quoted as systemd.syntax(7) reads it ("%" and "$" doubled). */
export function systemdQuote(value: string): string {
  const escaped = value.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (/^[A-Za-z0-9_@+=:,./%$-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A word for /bin/sh, in single quotes unless it needs none. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function serviceUnitText(options: UnitOptions): string {
  if (options.scope === 'system' && !options.runAs) throw new Error('A system unit needs the user the daemon runs as.');
  const lines = [
    '# Written by "zfs-replication schedule install": runs the replication and snapshot schedules of one settings',
    '# folder without the desktop app. Remove it with "zfs-replication schedule uninstall".',
    '[Unit]',
    'Description=ZFS Replication Desktop schedules (zfs-replication daemon)',
    'Documentation=man:systemd.service(5)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[options.node, options.script, 'daemon'].map(systemdQuote).join(' ')}`,
    `Environment=${systemdQuote(`ZRD_CONFIG_DIR=${options.configDir}`)}`,
    ...(options.scope === 'system' ? [`User=${systemdQuote(options.runAs!)}`] : []),
    // SIGTERM stops the daemon cleanly: a transfer in flight is cancelled and resumes at the next run.
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    'TimeoutStopSec=120',
    'Restart=on-failure',
    'RestartSec=30',
    'NoNewPrivileges=yes',
    'UMask=0077',
    '',
    '[Install]',
    `WantedBy=${options.scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}

/** Where the unit file goes. */
export function unitPath(scope: 'user' | 'system', env: NodeJS.ProcessEnv = process.env): string {
  if (scope === 'system') return path.join('/etc/systemd/system', serviceName);
  const configHome = env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? homedir(), '.config');
  return path.join(configHome, 'systemd', 'user', serviceName);
}

/** The systemctl invocations that load and start (or stop and unload) the unit. */
export function systemctlCommands(scope: 'user' | 'system', action: 'enable' | 'disable'): string[][] {
  const base = scope === 'user' ? ['systemctl', '--user'] : ['systemctl'];
  return action === 'enable'
    ? [
        [...base, 'daemon-reload'],
        [...base, 'enable', '--now', serviceName],
      ]
    : [
        [...base, 'disable', '--now', serviceName],
        [...base, 'daemon-reload'],
      ];
}

/** The crontab line for a machine without systemd: `daemon --once` every minute, its output appended to a log. */
export function crontabLine(command: DaemonCommand): string {
  const log = path.join(command.configDir, 'logs', 'daemon.log');
  const words = [`ZRD_CONFIG_DIR=${shellQuote(command.configDir)}`, shellQuote(command.node), shellQuote(command.script), 'daemon', '--once', '>>', shellQuote(log), '2>&1'];
  // "%" ends the command in a crontab line unless escaped.
  return `* * * * * ${words.join(' ').replace(/%/g, '\\%')}`;
}

/** systemd is the init system here (sd_booted(3)): /run/systemd/system exists. */
export function systemdRunning(probe: (file: string) => boolean = existsSync): boolean {
  return probe('/run/systemd/system');
}
