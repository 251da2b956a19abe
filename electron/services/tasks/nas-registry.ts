import type { Connection } from '../../../shared/schemas.ts';
import type { CommandRunner } from '../ssh/command-runner.ts';
import type { AppStore } from '../store/app-store.ts';
import { probeCapabilities } from '../zfs/capabilities.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';
import type { EngineNas } from '../replication/replication-engine.ts';

/** Where commands for a saved connection run: the SSH services' pooled runners (tests script them). */
export interface RunnerSource {
  runnerFor(connection: Connection): CommandRunner;
}

/**
 * A ready ZFS host per saved connection: the pooled runner and the capability probe, done once per connection and
 * settings (a changed connection is probed again).
 */
export class NasRegistry {
  readonly #store: AppStore;
  readonly #runners: RunnerSource;
  readonly #hosts = new Map<string, { fingerprint: string; host: Promise<ZfsHost> }>();

  constructor(store: AppStore, runners: RunnerSource) {
    this.#store = store;
    this.#runners = runners;
  }

  /** A runner without the capability probe: for plain shell commands such as the task lock probe. */
  runner(connectionId: string): CommandRunner {
    return this.#runners.runnerFor(this.#store.getConnection(connectionId));
  }

  async host(connectionId: string): Promise<ZfsHost> {
    const connection = this.#store.getConnection(connectionId);
    const fingerprint = JSON.stringify([connection.host, connection.port, connection.username, connection.auth, connection.privilege, connection.hostKey?.sha256]);
    const cached = this.#hosts.get(connectionId);
    if (cached && cached.fingerprint === fingerprint) return cached.host;
    const runner = this.#runners.runnerFor(connection);
    const host = probeCapabilities(runner, { timeoutMs: 60_000 }).then((capabilities) => ({ runner, capabilities }));
    this.#hosts.set(connectionId, { fingerprint, host });
    host.catch(() => this.#hosts.delete(connectionId));
    return host;
  }

  async nas(connectionId: string): Promise<EngineNas> {
    const connection = this.#store.getConnection(connectionId);
    return { host: await this.host(connectionId), privilege: connection.privilege, label: `${connection.username}@${connection.host}:${connection.port}` };
  }

  forget(connectionId: string): void {
    this.#hosts.delete(connectionId);
  }
}
