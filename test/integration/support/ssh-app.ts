import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemoryHostKeyTrust } from '../../../electron/services/ssh/host-key.ts';
import { createSshServices, type SshConnectionSettings, type SshServices } from '../../../electron/services/ssh/ssh-services.ts';
import type { Privilege } from '../../../electron/services/ssh/ssh-command-runner.ts';
import type { TestbedInfo, VmInfo } from '../../nas/testbed.ts';

// The app's SSH stack pointed at the test VMs: a private config dir (app key), in-memory host-key pins.

export function vmNamed(testbed: TestbedInfo, name: string): VmInfo {
  const vm = testbed.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`test bed has no VM ${name}`);
  return vm;
}

export function connectionTo(vm: VmInfo, username: string, privilege: Privilege, auth: SshConnectionSettings['auth'] = { kind: 'key-file', keyPath: vm.keyPath }): SshConnectionSettings {
  return { id: randomUUID(), host: vm.host, port: vm.port, username, auth, privilege };
}

export interface SshApp {
  services: SshServices;
  trust: InMemoryHostKeyTrust;
  configDir: string;
  /** Probes and pins the host key of the connection (what the confirm dialog does). */
  pin(connection: SshConnectionSettings): Promise<void>;
  dispose(): Promise<void>;
}

export function sshApp(options: { maxSessions?: number } = {}): SshApp {
  const configDir = mkdtempSync(path.join(tmpdir(), 'zrd-ssh-it-'));
  const trust = new InMemoryHostKeyTrust();
  const services = createSshServices({ configDir, trust, connectTimeoutMs: () => 60_000, idleTimeoutMs: 0, ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }) });
  return {
    services,
    trust,
    configDir,
    async pin(connection) {
      const probed = await services.probeHostKey(connection.host, connection.port);
      await services.confirmHostKey(connection, probed.sha256);
    },
    async dispose() {
      await services.closeAll();
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
