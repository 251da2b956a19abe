import type { Connection } from '../../../shared/schemas.ts';
import type { CommandRunner } from '../ssh/command-runner.ts';
import { targetLabel } from '../ssh/ssh-connect.ts';
import type { AppStore } from '../store/app-store.ts';
import { AppFailure } from '../../../shared/result.ts';
import { buildProbeArgv, parseProbeOutput } from '../zfs/capabilities.ts';
import type { CapabilityCache } from './capability-cache.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';
import type { EngineNas } from '../replication/replication-engine.ts';

/** Where commands for a saved connection run: the SSH services' pooled runners (tests script them). */
export interface RunnerSource {
  runnerFor(connection: Connection): CommandRunner;
}

/** Failures a stale capability entry could explain: a zfs or zpool that moved, an OpenZFS that changed. */
const staleCapabilityCodes = new Set(['COMMAND_NOT_FOUND', 'UNSUPPORTED_VERSION']);

/** The connection settings a probe depends on: any change, including a new pinned host key, probes again. */
function settingsKey(connection: Connection): string {
  return JSON.stringify([connection.host, connection.port, connection.username, connection.auth, connection.privilege, connection.hostKey?.sha256 ?? null]);
}

/**
 * A ready ZFS host per saved connection: the pooled runner and the capability probe, done once per connection and
 * settings (a changed connection is probed again). With a cache, the probe's output is also kept on disk so a new
 * process (a cron run) skips the probe while the entry is fresh; a command failing as COMMAND_NOT_FOUND or
 * UNSUPPORTED_VERSION drops the entry, so the next use probes again.
 */
export class NasRegistry {
  readonly #store: AppStore;
  readonly #runners: RunnerSource;
  readonly #cache: CapabilityCache | null;
  readonly #hosts = new Map<string, { fingerprint: string; host: Promise<ZfsHost> }>();

  constructor(store: AppStore, runners: RunnerSource, cache: CapabilityCache | null = null) {
    this.#store = store;
    this.#runners = runners;
    this.#cache = cache;
  }

  /** A runner without the capability probe: for plain shell commands such as the task lock probe. */
  runner(connectionId: string): CommandRunner {
    return this.#runners.runnerFor(this.#store.getConnection(connectionId));
  }

  async host(connectionId: string): Promise<ZfsHost> {
    const connection = this.#store.getConnection(connectionId);
    const fingerprint = settingsKey(connection);
    const cached = this.#hosts.get(connectionId);
    if (cached && cached.fingerprint === fingerprint) return cached.host;
    const runner = this.#invalidatingRunner(connectionId, this.#runners.runnerFor(connection));
    const host = this.#capabilities(connectionId, fingerprint, runner).then((capabilities) => ({ runner, capabilities }));
    this.#hosts.set(connectionId, { fingerprint, host });
    host.catch(() => this.#hosts.delete(connectionId));
    return host;
  }

  /** The cached probe output when fresh and for these settings (parsed as a new probe's would be), else a probe. */
  async #capabilities(connectionId: string, fingerprint: string, runner: CommandRunner): Promise<ZfsHost['capabilities']> {
    const kept = this.#cache?.get(connectionId, fingerprint) ?? null;
    if (kept !== null) {
      try {
        return parseProbeOutput(kept.output, runner.label);
      } catch {
        // Kept output that no longer parses (or names an unusable NAS): probe again, the NAS decides.
        this.#cache?.forget(connectionId);
      }
    }
    const { stdout } = await runner.run(buildProbeArgv(), { timeoutMs: 60_000, privileged: false });
    const capabilities = parseProbeOutput(stdout, runner.label);
    this.#cache?.set(connectionId, fingerprint, stdout);
    return capabilities;
  }

  /** The runner, watching for failures a stale capability entry could explain (it then drops the entry). */
  #invalidatingRunner(connectionId: string, runner: CommandRunner): CommandRunner {
    if (this.#cache === null) return runner;
    const forgetIfStale = (error: unknown): never => {
      if (error instanceof AppFailure && staleCapabilityCodes.has(error.code)) this.forget(connectionId);
      throw error;
    };
    const embed = runner.embed?.bind(runner);
    return {
      label: runner.label,
      run: (argv, options) => runner.run(argv, options).catch(forgetIfStale),
      // A command run inside another one's script (the listing in the lock's shell) is watched the same way.
      ...(embed
        ? {
            embed: (argv, options) => {
              const embedded = embed(argv, options);
              return {
                line: embedded.line,
                settle: (outcome, settleOptions) => {
                  try {
                    return embedded.settle(outcome, settleOptions);
                  } catch (error) {
                    return forgetIfStale(error);
                  }
                },
              };
            },
          }
        : {}),
    };
  }

  /** The NAS as the engine names it in messages and logs: the admin's name for it, then where it is. */
  async nas(connectionId: string): Promise<EngineNas> {
    const connection = this.#store.getConnection(connectionId);
    return { host: await this.host(connectionId), privilege: connection.privilege, label: nasLabel(connection) };
  }

  /** Probes again on next use: in this process and, with a cache, in every other one (a test, an edit, a failure). */
  forget(connectionId: string): void {
    this.#hosts.delete(connectionId);
    this.#cache?.forget(connectionId);
  }
}

/** "nas-b (root@10.0.0.2:22)": the name the admin gave the NAS, and the login the messages are about. */
export function nasLabel(connection: Pick<Connection, 'name' | 'username' | 'host' | 'port'>): string {
  return targetLabel(connection);
}
