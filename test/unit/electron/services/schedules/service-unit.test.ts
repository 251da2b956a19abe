import { describe, expect, it } from 'vitest';
import { crontabLine, serviceUnitText, shellQuote, systemctlCommands, systemdQuote, systemdRunning, unitPath } from '../../../../../electron/services/schedules/service-unit.ts';

// The systemd unit and crontab line `schedule install` writes: text only, nothing is enabled here.

const command = { node: '/usr/bin/node', script: '/opt/zrd/bin/zfs-replication.mjs', configDir: '/home/ann/.config/ZFS Replication Desktop' };

describe('the systemd unit', () => {
  it('a user unit: the daemon with this settings folder, stopped by SIGTERM, restarted on failure, wanted by default.target', () => {
    expect(serviceUnitText({ ...command, scope: 'user' })).toBe(`# Written by "zfs-replication schedule install": runs the replication and snapshot schedules of one settings
# folder without the desktop app. Remove it with "zfs-replication schedule uninstall".
[Unit]
Description=ZFS Replication Desktop schedules (zfs-replication daemon)
Documentation=man:systemd.service(5)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/bin/node /opt/zrd/bin/zfs-replication.mjs daemon
Environment="ZRD_CONFIG_DIR=/home/ann/.config/ZFS Replication Desktop"
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=120
Restart=on-failure
RestartSec=30
NoNewPrivileges=yes
UMask=0077

[Install]
WantedBy=default.target
`);
  });

  it('a system unit runs as the named user and is wanted by multi-user.target; it needs that user', () => {
    const text = serviceUnitText({ ...command, scope: 'system', runAs: 'ann' });
    expect(text).toContain('\nUser=ann\n');
    expect(text).toContain('\nWantedBy=multi-user.target\n');
    expect(() => serviceUnitText({ ...command, scope: 'system' })).toThrow(/user/);
  });

  it('quotes as systemd reads it: spaces and quotes quoted, % and $ doubled', () => {
    expect(systemdQuote('/usr/bin/node')).toBe('/usr/bin/node');
    expect(systemdQuote('/srv/my app/bin')).toBe('"/srv/my app/bin"');
    expect(systemdQuote('50%')).toBe('50%%');
    expect(systemdQuote('a"b\\c $HOME')).toBe('"a\\"b\\\\c $$HOME"');
  });

  it('paths and systemctl commands per scope', () => {
    expect(unitPath('user', { HOME: '/home/ann' })).toBe('/home/ann/.config/systemd/user/zfs-replication.service');
    expect(unitPath('user', { HOME: '/home/ann', XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/systemd/user/zfs-replication.service');
    expect(unitPath('system')).toBe('/etc/systemd/system/zfs-replication.service');
    expect(systemctlCommands('user', 'enable')).toEqual([['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', 'zfs-replication.service']]);
    expect(systemctlCommands('system', 'disable')).toEqual([['systemctl', 'disable', '--now', 'zfs-replication.service'], ['systemctl', 'daemon-reload']]);
    expect(systemdRunning((file) => file === '/run/systemd/system')).toBe(true);
    expect(systemdRunning(() => false)).toBe(false);
  });
});

describe('the crontab line (no systemd)', () => {
  it('runs daemon --once every minute with the settings folder, output appended to its log; % escaped for cron', () => {
    expect(crontabLine(command)).toBe(
      "* * * * * ZRD_CONFIG_DIR='/home/ann/.config/ZFS Replication Desktop' /usr/bin/node /opt/zrd/bin/zfs-replication.mjs daemon --once >> '/home/ann/.config/ZFS Replication Desktop/logs/daemon.log' 2>&1",
    );
    expect(crontabLine({ ...command, configDir: "/srv/100% o'clock" })).toContain("ZRD_CONFIG_DIR='/srv/100\\% o'\\''clock'");
    expect(shellQuote('plain/path')).toBe('plain/path');
  });
});
