import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliEnvironment, type CliIo } from '../../../../electron/cli/cli-support.ts';
import { exportCommand, importCommand } from '../../../../electron/cli/commands/config-file.ts';
import { connectionCommand } from '../../../../electron/cli/commands/connection.ts';
import { scheduleCommand, type ScheduleSystem } from '../../../../electron/cli/commands/daemon.ts';
import { monitorCommand, parseDuration } from '../../../../electron/cli/commands/monitor.ts';
import { parseLifetime, snapshotTaskCommand, taskCommand } from '../../../../electron/cli/commands/task.ts';
import { openAppStore } from '../../../../electron/services/store/app-store.ts';

// The headless commands in process, against a real settings folder (no NAS: the SSH parts are in the integration
// test). Each command goes through the core's verbs exactly as the app does.

let root: string;
let configDir: string;
let out: string[];
let err: string[];
let stdinLine: string;

function io(interactive = false, answers: string[] = []): CliIo {
  return {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    interactive,
    ask: async () => answers.shift() ?? '',
    askSecret: async () => answers.shift() ?? '',
    readStdinLine: async () => stdinLine,
  };
}

type Command = (argv: string[], env: ReturnType<typeof cliEnvironment>) => Promise<number>;
async function cli(command: Command, argv: string[], terminal: CliIo = io()): Promise<number> {
  out = [];
  err = [];
  const env = cliEnvironment(configDir, terminal);
  try {
    return await command(argv, env);
  } finally {
    await env.dispose();
  }
}

// The CLI loads the core on first use (cli-support.ts): load it once here, not inside the first test's time limit.
beforeAll(async () => {
  await import('../../../../electron/services/core.ts');
}, 120_000);

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-cli-cmd-'));
  configDir = path.join(root, 'settings');
  stdinLine = '';
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function twoConnections(): Promise<void> {
  expect(await cli(connectionCommand, ['add', 'nas-a', '--host', '192.0.2.10', '--no-trust'])).toBe(0);
  expect(await cli(connectionCommand, ['add', 'nas-b', '--host', '192.0.2.11', '--port', '2222', '--user', 'admin', '--privilege', 'sudo', '--no-trust'])).toBe(0);
}

describe('connection', () => {
  it('add creates the settings folder (0700) and saves; list, edit, remove; a name clash exits 2', async () => {
    expect(existsSync(configDir)).toBe(false);
    await twoConnections();
    expect(statSync(configDir).mode & 0o777).toBe(0o700);
    expect(await cli(connectionCommand, ['list'])).toBe(0);
    expect(out).toEqual(['nas-a  root@192.0.2.10:22  zfs as root  app key  host key not confirmed', 'nas-b  admin@192.0.2.11:2222  zfs as sudo  app key  host key not confirmed']);
    expect(await cli(connectionCommand, ['add', 'NAS-A', '--host', '192.0.2.12', '--no-trust'])).toBe(2);
    expect(err.join('\n')).toContain('A connection named "nas-a" already exists.');
    expect(await cli(connectionCommand, ['edit', 'nas-b', '--port', '22', '--key-file', '/root/.ssh/id_ed25519'])).toBe(0);
    expect(out[0]).toBe('saved nas-b  admin@192.0.2.11:22  zfs as sudo  key /root/.ssh/id_ed25519  host key not confirmed');
    expect(await cli(connectionCommand, ['remove', 'nas-b'])).toBe(0);
    expect(openAppStore(configDir).listConnections().map((c) => c.name)).toEqual(['nas-a']);
  });

  it('bad input is exit 2 with what to do: a missing host, a bad port, a bad fingerprint, an unknown name', async () => {
    expect(await cli(connectionCommand, ['add', 'x'])).toBe(2);
    expect(err.join('\n')).toContain('needs --host');
    expect(await cli(connectionCommand, ['add', 'x', '--host', 'h', '--port', '99999', '--no-trust'])).toBe(2);
    expect(err.join('\n')).toContain('"99999" is not a port');
    await twoConnections();
    expect(await cli(connectionCommand, ['trust', 'nas-a', '--fingerprint', 'MD5:aa'])).toBe(2);
    expect(err.join('\n')).toContain('not an SSH SHA256 fingerprint');
    expect(await cli(connectionCommand, ['test', 'nas-z'])).toBe(2);
    expect(err.join('\n')).toContain('Saved connections: nas-a, nas-b');
  });

  it('a password is never an argument; without a terminal install-key asks for --password-stdin', async () => {
    await twoConnections();
    expect(await cli(connectionCommand, ['install-key', 'nas-a', '--password', 'secret'])).toBe(2);
    expect(err.join('\n')).toContain('never taken as an argument');
    expect(await cli(connectionCommand, ['install-key', 'nas-a'])).toBe(2);
    expect(err.join('\n')).toContain('--password-stdin');
    stdinLine = '';
    expect(await cli(connectionCommand, ['install-key', 'nas-a', '--password-stdin'])).toBe(2);
    expect(err.join('\n')).toContain('No password on stdin');
  });

  it('commands other than add and import never create a settings folder', async () => {
    expect(await cli(connectionCommand, ['list'])).toBe(2);
    expect(err.join('\n')).toContain('does not exist');
    expect(existsSync(configDir)).toBe(false);
  });
});

describe('task and snapshot-task', () => {
  beforeEach(twoConnections);

  it('add from flags; show --json is a task file that edit --file takes back', async () => {
    expect(
      await cli(taskCommand, ['add', 'docs', '--source', 'nas-a:tank/docs', '--recursive', '--exclude', 'tank/docs/tmp', '--destination', 'nas-b:backup/a', '--schedule', '*/15 * * * *', '--lifetime', '2w', '--naming-schema', 'auto-%Y-%m-%d_%H-%M', '--bandwidth-limit', '2048', '--set-property', 'compression=zstd']),
    ).toBe(0);
    expect(out[0]).toBe('created docs  nas-a:tank/docs (with children) -> nas-b:backup/a  (relay; snapshots named auto-%Y-%m-%d_%H-%M; cron "*/15 * * * *")');
    const stored = openAppStore(configDir).getTask('docs');
    expect(stored).toMatchObject({
      sources: [{ name: 'tank/docs', recursive: true, exclude: ['tank/docs/tmp'] }],
      destinationLifetime: { kind: 'custom', amount: 2, unit: 'weeks' },
      bandwidthLimitKiBps: 2048,
      properties: { override: { compression: 'zstd' } },
    });
    expect(await cli(taskCommand, ['show', 'docs', '--json'])).toBe(0);
    const file = JSON.parse(out.join('\n'));
    expect(file).toMatchObject({ name: 'docs', sourceConnection: 'nas-a', destinationConnection: 'nas-b' });
    expect(file.id).toBeUndefined();
    file.retries = 7;
    const taskFile = path.join(root, 'docs.json');
    writeFileSync(taskFile, JSON.stringify(file));
    expect(await cli(taskCommand, ['edit', 'docs', '--file', taskFile, '--schedule', 'manual'])).toBe(0);
    expect(openAppStore(configDir).getTask('docs')).toMatchObject({ id: stored.id, retries: 7, schedule: { kind: 'manual' } });
  });

  it('add from a JSON file; schema errors name the field; unknown connections and fields are refused', async () => {
    const taskFile = path.join(root, 'task.json');
    writeFileSync(taskFile, JSON.stringify({ name: 'media', sourceConnection: 'nas-a', sources: [{ name: 'tank/media' }], destinationConnection: 'nas-b', destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' } }));
    expect(await cli(taskCommand, ['add', '--file', taskFile])).toBe(0);
    writeFileSync(taskFile, JSON.stringify({ name: 'bad', sourceConnection: 'nas-a', sources: [], destinationConnection: 'nas-b', destinationParent: '/backup', transport: { kind: 'relay' }, selection: { kind: 'all' }, colour: 'red' }));
    expect(await cli(taskCommand, ['add', '--file', taskFile])).toBe(2);
    const text = err.join('\n');
    expect(text).toContain('sources: Pick at least one source dataset.');
    expect(text).toContain('destinationParent: Dataset name "/backup" starts with "/"');
    expect(text).toMatch(/colour/);
    writeFileSync(taskFile, JSON.stringify({ name: 'orphan', sourceConnection: 'nas-z', sources: [{ name: 'tank/x' }], destinationConnection: 'nas-b', destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' } }));
    expect(await cli(taskCommand, ['add', '--file', taskFile])).toBe(2);
    expect(err.join('\n')).toContain('There is no connection "nas-z"');
    writeFileSync(taskFile, '{ not json');
    expect(await cli(taskCommand, ['add', '--file', taskFile])).toBe(2);
    expect(err.join('\n')).toContain('is not valid JSON');
  });

  it('schema prints the JSON Schema of a task file; remove deletes', async () => {
    expect(await cli(taskCommand, ['schema'])).toBe(0);
    const schema = JSON.parse(out.join('\n'));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'sourceConnection', 'sources', 'destinationConnection', 'destinationParent', 'transport', 'selection']));
    expect(await cli(taskCommand, ['add', 'docs', '--source', 'nas-a:tank/docs', '--destination', 'nas-b:backup'])).toBe(0);
    expect(await cli(taskCommand, ['remove', 'docs'])).toBe(0);
    expect(openAppStore(configDir).listTasks()).toEqual([]);
  });

  it('periodic snapshot tasks: add, show by CONNECTION:DATASET, edit, remove', async () => {
    expect(await cli(snapshotTaskCommand, ['add', '--dataset', 'nas-a:tank/docs', '--naming-schema', 'auto-%Y-%m-%d_%H-%M', '--schedule', '0 * * * *', '--lifetime', '14d'])).toBe(0);
    expect(await cli(snapshotTaskCommand, ['show', 'nas-a:tank/docs', '--json'])).toBe(0);
    expect(JSON.parse(out.join('\n'))).toEqual({ connection: 'nas-a', dataset: 'tank/docs', recursive: true, exclude: [], namingSchema: 'auto-%Y-%m-%d_%H-%M', schedule: { kind: 'cron', expression: '0 * * * *' }, lifetime: { kind: 'custom', amount: 14, unit: 'days' } });
    expect(await cli(snapshotTaskCommand, ['edit', 'nas-a:tank/docs', '--no-recursive', '--lifetime', 'forever'])).toBe(0);
    expect(openAppStore(configDir).listSnapshotTasks()[0]).toMatchObject({ recursive: false, lifetime: { kind: 'forever' } });
    expect(await cli(snapshotTaskCommand, ['add', '--dataset', 'nas-a:tank/x', '--naming-schema', 'auto', '--schedule', 'manual', '--lifetime', '1y'])).toBe(2);
    expect(err.join('\n')).toContain('namingSchema');
    expect(await cli(snapshotTaskCommand, ['remove', 'nas-a:tank/docs'])).toBe(0);
    expect(openAppStore(configDir).listSnapshotTasks()).toEqual([]);
  });

  it('parses lifetimes and durations as an admin writes them', () => {
    expect(parseLifetime('2w')).toEqual({ kind: 'custom', amount: 2, unit: 'weeks' });
    expect(parseLifetime('48 hours')).toEqual({ kind: 'custom', amount: 48, unit: 'hours' });
    expect(parseLifetime('forever')).toEqual({ kind: 'forever' });
    expect(() => parseLifetime('soon')).toThrow(/not a lifetime/);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('ten')).toBeNull();
  });
});

describe('export and import', () => {
  it('export writes a 0600 file without secrets; import into an empty folder; a conflict stops it (exit 3) until decided', async () => {
    await twoConnections();
    expect(await cli(taskCommand, ['add', 'docs', '--source', 'nas-a:tank/docs', '--destination', 'nas-b:backup', '--encryption', 'passphrase', '--key-stdin'], { ...io(), readStdinLine: async () => 'a long enough passphrase' })).toBe(0);
    const file = path.join(root, 'export.json');
    expect(await cli(exportCommand, [file])).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('a long enough passphrase');

    const first = configDir;
    configDir = path.join(root, 'other');
    expect(await cli(importCommand, [file])).toBe(0);
    expect(out.filter((l) => l.startsWith('added'))).toHaveLength(3);
    expect(openAppStore(configDir).listTasks().map((t) => t.name)).toEqual(['docs']);

    expect(await cli(taskCommand, ['edit', 'docs', '--retries', '5'])).toBe(0);
    const before = readFileSync(path.join(configDir, 'config.json'), 'utf8');
    expect(await cli(importCommand, [file])).toBe(3);
    expect(err.join('\n')).toContain('CONFLICT      task docs (differs in retries)');
    expect(readFileSync(path.join(configDir, 'config.json'), 'utf8')).toBe(before);
    expect(await cli(importCommand, [file, '--skip-conflicts'])).toBe(0);
    expect(openAppStore(configDir).getTask('docs').retries).toBe(5);
    expect(await cli(importCommand, [file, '--replace', 'task:docs'])).toBe(0);
    expect(out).toContain('replaced  task docs');
    expect(openAppStore(configDir).getTask('docs').retries).toBe(2);
    configDir = first;
  });

  it('a file that is not an export is refused naming what is wrong', async () => {
    const file = path.join(root, 'x.json');
    writeFileSync(file, JSON.stringify({ connections: [] }));
    expect(await cli(importCommand, [file])).toBe(2);
    expect(err.join('\n')).toContain('is not an export of this app');
    expect(existsSync(configDir)).toBe(false);
  });
});

describe('status --monitor', () => {
  it('exit 0/1/2 by the lag of each scheduled replica, one line; 3 UNKNOWN when it cannot tell', async () => {
    await twoConnections();
    expect(await cli(taskCommand, ['add', 'docs', '--source', 'nas-a:tank/docs', '--destination', 'nas-b:backup', '--schedule', '0 * * * *'])).toBe(0);
    const store = openAppStore(configDir);
    const taskId = store.getTask('docs').id;
    store.history.append({ id: crypto.randomUUID(), taskId, startedAt: '2026-11-22T10:00:01Z', finishedAt: '2026-11-22T10:01:00Z', result: 'FINISHED', by: 'daemon', bytesSent: 1, snapshotsSent: 1, datasets: [], error: null });
    const at = (iso: string) => () => new Date(iso);
    out = [];
    expect(await monitorCommand([], cliEnvironment(configDir, io()), at('2026-11-22T10:30:00Z'))).toBe(0);
    expect(out).toEqual(["OK: 1 scheduled replica on schedule | 'docs_lag'=1799s"]);
    out = [];
    expect(await monitorCommand([], cliEnvironment(configDir, io()), at('2026-11-22T11:45:00Z'))).toBe(1);
    expect(out[0]).toMatch(/^WARNING: docs missed 1 scheduled run/);
    out = [];
    expect(await monitorCommand(['--crit', '1'], cliEnvironment(configDir, io()), at('2026-11-22T11:45:00Z'))).toBe(2);
    expect(out[0]).toMatch(/^CRITICAL: docs missed 1 scheduled run/);
    out = [];
    expect(await monitorCommand(['nope'], cliEnvironment(configDir, io()))).toBe(3);
    expect(out).toEqual(['UNKNOWN: no replication task "nope"']);
    out = [];
    expect(await monitorCommand(['--warn', 'x'], cliEnvironment(configDir, io()))).toBe(3);
    configDir = path.join(root, 'missing');
    out = [];
    expect(await monitorCommand([], cliEnvironment(configDir, io()))).toBe(3);
    expect(out[0]).toMatch(/^UNKNOWN: The settings folder .* does not exist\.$/);
  });
});

describe('schedule', () => {
  function fakeSystem(systemd: boolean, root = true): ScheduleSystem & { files: Map<string, string>; ran: string[][] } {
    const files = new Map<string, string>();
    const ran: string[][] = [];
    return { files, ran, systemdRunning: () => systemd, run: (argv) => (ran.push(argv), { status: 0, output: '' }), writeFile: (f, t) => files.set(f, t), removeFile: (f) => files.delete(f), isRoot: () => root, userName: () => 'ann' };
  }

  it('install writes the user unit and enables it (through the system seam: nothing is enabled here)', async () => {
    await twoConnections();
    const system = fakeSystem(true);
    out = [];
    err = [];
    const env = cliEnvironment(configDir, io());
    expect(await scheduleCommand(['install'], env, system)).toBe(0);
    await env.dispose();
    const [file, text] = [...system.files][0]!;
    expect(file).toMatch(/systemd\/user\/zfs-replication\.service$/);
    expect(text).toContain(`Environment=${configDir.includes(' ') ? '"' : ''}ZRD_CONFIG_DIR=${configDir}`);
    expect(text).toMatch(/\nExecStart=\S+ \S+bin\/zfs-replication\.mjs daemon\n/);
    expect(system.ran).toEqual([['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', 'zfs-replication.service']]);
    expect(out.join('\n')).toContain('loginctl enable-linger ann');
  });

  it('without systemd it prints the crontab line; a system unit needs root', async () => {
    await twoConnections();
    let env = cliEnvironment(configDir, io());
    out = [];
    expect(await scheduleCommand(['install'], env, fakeSystem(false))).toBe(0);
    expect(out[0]).toMatch(/^\* \* \* \* \* ZRD_CONFIG_DIR=\S+ \S+ \S+zfs-replication\.mjs daemon --once >> \S+daemon\.log 2>&1$/);
    await env.dispose();
    env = cliEnvironment(configDir, io());
    err = [];
    expect(await scheduleCommand(['install', '--system'], env, fakeSystem(true, false))).toBe(1);
    expect(err.join('\n')).toContain('needs root');
    await env.dispose();
  });

  it('pause and resume set the shared setting every scheduler reads', async () => {
    await twoConnections();
    expect(await cli((argv, env) => scheduleCommand(argv, env, fakeSystem(true)), ['pause'])).toBe(0);
    expect(openAppStore(configDir).getSettings().schedulesPaused).toBe(true);
    expect(await cli((argv, env) => scheduleCommand(argv, env, fakeSystem(true)), ['status'])).toBe(0);
    expect(out.join('\n')).toContain('PAUSED');
    expect(await cli((argv, env) => scheduleCommand(argv, env, fakeSystem(true)), ['resume'])).toBe(0);
    expect(openAppStore(configDir).getSettings().schedulesPaused).toBe(false);
  });
});
