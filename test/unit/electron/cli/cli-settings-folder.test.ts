import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

// The real CLI process against settings folders a careless user points it at: a mistyped ZRD_CONFIG_DIR is an
// error naming it (exit 2), never a silently created empty folder; no stack trace for any of these.

const cli = path.resolve(import.meta.dirname, '../../../../electron/cli/zfs-replication.ts');
let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'zrd-cli-folder-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function zfsReplication(configDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, ZRD_CONFIG_DIR: configDir, ZRD_DEBUG: '' }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

// Each case starts the CLI (1-4 s on a loaded machine).
describe('zfs-replication and its settings folder', { timeout: 90_000 }, () => {
  it('a folder that does not exist: exit 2, named, not created, and says what creates settings', async () => {
    const missing = path.join(root, 'typo');
    const [list, status, json] = await Promise.all([zfsReplication(missing, 'list'), zfsReplication(missing, 'status'), zfsReplication(missing, 'list', '--json')]);
    for (const { code, stdout, stderr } of [list, status]) {
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`error: The settings folder ${missing} (ZRD_CONFIG_DIR=${missing}) does not exist.`);
      expect(stderr).toContain('connection add');
      noStackTrace(stderr);
    }
    expect(existsSync(missing)).toBe(false);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { path: missing } } });
  });

  it('a folder path that is a file, or inside one: exit 2 with a clear message', async () => {
    const file = path.join(root, 'config.json');
    writeFileSync(file, '{}');
    let result = await zfsReplication(file, 'list');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`The settings folder ${file} (ZRD_CONFIG_DIR=${file}) is a file, not a folder.`);
    expect(result.stderr).toContain('not at config.json itself');
    noStackTrace(result.stderr);
    result = await zfsReplication(path.join(file, 'below'), 'status');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is inside a file, not a folder');
    noStackTrace(result.stderr);
  });

  it('a config.json that is a folder: exit 2 naming it', async () => {
    const dir = path.join(root, 'settings');
    mkdirSync(path.join(dir, 'config.json'), { recursive: true });
    const { code, stderr } = await zfsReplication(dir, 'list');
    expect(code).toBe(2);
    expect(stderr).toContain(`error: Cannot use the settings file ${path.join(dir, 'config.json')}: it is a folder, not a file.`);
    noStackTrace(stderr);
  });

  it('a config.json holding [] is moved aside (kept) with a warning, and the command goes on', async () => {
    const dir = path.join(root, 'settings');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'config.json'), '[]');
    const { code, stderr, stdout } = await zfsReplication(dir, 'list');
    expect(code).toBe(0);
    expect(stderr).toMatch(/^warning: The settings file could not be read \(it holds a list where an object/);
    expect(stdout).toContain('connections:');
    const moved = readdirSync(dir).filter((n) => n.startsWith('config.corrupt-'));
    expect(moved).toHaveLength(1);
    expect(readFileSync(path.join(dir, moved[0]!), 'utf8')).toBe('[]');
  });

  it('a hand-written task without `properties` or `encryption` lists with their defaults, and a broken one is set aside alone', async () => {
    const dir = path.join(root, 'settings');
    mkdirSync(dir);
    const a = '0b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a';
    const connection = { id: a, name: 'a', host: 'a.example', port: 22, username: 'root', auth: { kind: 'app-key' }, privilege: 'root', hostKey: null, createdAt: 'x', updatedAt: 'x' };
    const task = (id: string, name: string) => ({ id, name, sourceConnectionId: a, destinationConnectionId: a, sources: [{ name: 'tank/docs' }], destinationParent: 'backup', transport: { kind: 'relay' }, selection: { kind: 'all' } });
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      connections: [connection],
      tasks: [task('1b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a', 'by hand'), { ...task('2b6f8a52-5d4e-4d0b-9f1a-3c2e1d0c9b8a', 'broken'), selection: { kind: 'every' } }],
    }));
    const { code, stdout, stderr } = await zfsReplication(dir, 'list', '--json');
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { connections: unknown[]; tasks: Array<{ name: string; properties: unknown; encryption: unknown }> };
    expect(listed.connections).toHaveLength(1);
    expect(listed.tasks).toEqual([expect.objectContaining({ name: 'by hand', properties: { replicate: true, exclude: [], override: {} }, encryption: { kind: 'as-source' } })]);
    expect(stderr).toContain('warning: Replication task "broken" in the settings file cannot be used (selection.kind: ');
    expect(stderr).toContain(path.join(dir, 'config.set-aside.json'));
    expect(stderr).not.toContain('by hand');
  });

  it('an existing empty folder is fine: nothing to list, exit 0', async () => {
    const dir = path.join(root, 'settings');
    mkdirSync(dir);
    const { code, stdout, stderr } = await zfsReplication(dir, 'status');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('no replication tasks');
  });
});
