import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { CommandRunner, RunOptions, RunResult } from '../../../electron/services/ssh/command-runner.ts';
import type { Privilege } from '../../../electron/services/ssh/ssh-command-runner.ts';
import { probeCapabilities } from '../../../electron/services/zfs/capabilities.ts';
import type { ZfsHost } from '../../../electron/services/zfs/zfs-host.ts';
import type { TestbedInfo, VmInfo } from '../../nas/testbed.ts';
import { connectionTo, sshApp, vmNamed } from './ssh-app.ts';

// ZFS hosts over the app's own ssh2 runner, logged in with the test bed's key (host key probed and pinned, as the
// app does after the admin confirms it), each probed once.

export type TestUser = 'root' | 'admin' | 'delegate';

const privilegeOf: Record<TestUser, Privilege> = { root: 'root', admin: 'sudo', delegate: 'delegated' };

export function nasVm(name: 'nas-a' | 'nas-b'): VmInfo {
  return vmNamed(inject('testbed') as TestbedInfo, name);
}

export interface ZfsHosts {
  /** A probed ZfsHost for this user on this VM (cached). */
  host(vm: VmInfo, user: TestUser): Promise<ZfsHost>;
  close(): Promise<void>;
}

export function openZfsHosts(): ZfsHosts {
  const app = sshApp();
  const hosts = new Map<string, Promise<ZfsHost>>();

  const open = async (vm: VmInfo, user: TestUser): Promise<ZfsHost> => {
    const connection = connectionTo(vm, user, privilegeOf[user]);
    await app.pin(connection);
    const runner = app.services.runnerFor(connection);
    return { runner, capabilities: await probeCapabilities(runner, { timeoutMs: 120_000 }) };
  };

  return {
    host(vm, user) {
      const key = `${vm.name}/${user}`;
      let host = hosts.get(key);
      if (!host) {
        host = open(vm, user);
        hosts.set(key, host);
      }
      return host;
    },
    close: () => app.dispose(),
  };
}

/** Wraps a runner and records every argv, to prove that a refused request never reached the NAS. */
export class CountingRunner implements CommandRunner {
  readonly calls: Array<readonly string[]> = [];
  readonly #inner: CommandRunner;

  constructor(inner: CommandRunner) {
    this.#inner = inner;
  }

  get label(): string {
    return this.#inner.label;
  }

  run(argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    this.calls.push([...argv]);
    return this.#inner.run(argv, options);
  }
}

export function counting(host: ZfsHost): { host: ZfsHost; runner: CountingRunner } {
  const runner = new CountingRunner(host.runner);
  return { host: { runner, capabilities: host.capabilities }, runner };
}

/** A dataset name no other test uses, with a space in it on purpose. */
export function scratchName(pool: string, purpose: string): string {
  return `${pool}/zrd-it ${purpose}-${randomUUID().slice(0, 8)}`;
}
