import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTestbedFile, writeTestbedFile, type TestbedInfo, type VmInfo } from '../../nas/testbed.ts';

// The file through which npm test hands one booted VM pair to vitest and Playwright (ZRD_TESTBED_FILE).
const dir = mkdtempSync(path.join(tmpdir(), 'zrd-testbed-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function info(vms: Array<Pick<VmInfo, 'name' | 'pid' | 'runDir'>>): TestbedInfo {
  return {
    vms: vms.map((vm, i) => ({
      ...vm, host: '127.0.0.1', port: 40000 + i, pool: i === 0 ? 'tank' : 'backup', users: { root: { password: 'x' }, admin: { password: 'x' }, delegate: { password: 'x' }, sudopw: { password: 'x' } },
      keyPath: '/k', peerAddress: null, consoleLog: '/c', qmpSocket: '/q',
    })),
    keyPath: '/k', publicKey: 'ssh-ed25519 AAAA', runDir: dir, image: { dir: '/i', key: 'k', kernelAbi: 'a', zfsVersion: '2.3.2' }, bootSeconds: 1,
  };
}

describe('the shared test bed file', () => {
  it('is written whole and read back while its VMs run', async () => {
    // A stand-in "qemu": a process whose command line names qemu-system and the run dir, as the real one does.
    const runDir = path.join(dir, 'run-a');
    const sleeper = spawn('bash', ['-c', `exec -a "qemu-system-x86_64 ${runDir}" sleep 30`], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    try {
      const file = path.join(dir, 'testbed.json');
      const written = info([{ name: 'nas-a', pid: sleeper.pid!, runDir }]);
      writeTestbedFile(file, written);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(written);
      expect(readTestbedFile(file)).toEqual(written);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('names the VMs that no longer run instead of letting tests time out on ssh', () => {
    const file = path.join(dir, 'stale.json');
    writeTestbedFile(file, info([{ name: 'nas-a', pid: process.pid, runDir: path.join(dir, 'gone') }, { name: 'nas-b', pid: 999_999_999, runDir: path.join(dir, 'gone') }]));
    expect(() => readTestbedFile(file)).toThrow(/nas-a \(qemu pid \d+\), nas-b \(qemu pid 999999999\) no longer running/);
  });

  it('says which variable points at a missing or broken file', () => {
    expect(() => readTestbedFile(path.join(dir, 'missing.json'))).toThrow(/ZRD_TESTBED_FILE=.*missing\.json: cannot read the test bed/);
    writeFileSync(path.join(dir, 'empty.json'), '{"vms": []}');
    expect(() => readTestbedFile(path.join(dir, 'empty.json'))).toThrow(/no VMs in the file/);
  });
});
