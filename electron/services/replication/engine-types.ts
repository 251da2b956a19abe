import type { DatasetStep } from '../../../shared/contract.ts';
import type { Privilege } from '../ssh/ssh-command-runner.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';

// What the engine is given and what it tells: the NAS it works on, its events, and the options of one run.

export interface EngineNas {
  host: ZfsHost;
  privilege: Privilege;
  /** For messages: "admin@nas-a:22". */
  label: string;
}

export type EngineEvent =
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'progress'; dataset: string; bytesSent: number; bytesTotal: number | null; bytesPerSecond: number; etaSeconds: number | null }
  /** One dataset moved on: planned, pruning, destroying (confirmed), sending, holding, done or skipped. */
  | { kind: 'step'; dataset: string; destination: string; step: DatasetStep; detail: string | null };

export interface EngineDeps {
  /** A ready host (runner + probed capabilities) for a saved connection. */
  nas(connectionId: string): Promise<EngineNas>;
  emit?(event: EngineEvent): void;
  now?(): Date;
  /** Who runs: "app", "cli". Shown to a concurrent run that finds the lock taken. */
  by?: string;
}

export interface EngineRunOptions {
  dryRun?: boolean;
  /** The digest from a refused run's report: confirms exactly the destruction plan it listed. */
  confirmation?: string;
  signal?: AbortSignal;
  /** encrypt-on-destination tasks whose key is not stored: the key, asked for at this run. Never logged. */
  destinationKey?: string;
  /**
   * Estimate each stream's size (`zfs send -n -P`, one command per stream) for the progress's total and time left.
   * Default true; false when nobody watches the run (cron, the daemon): a cycle then runs no estimate at all.
   * A dry run always estimates: the sizes are part of what it shows.
   */
  estimate?: boolean;
}

/** What every remote call of a run passes down: the run's cancel signal. */
export interface Call {
  signal?: AbortSignal;
}

export const callOf = (signal: AbortSignal | undefined): Call => (signal ? { signal } : {});
