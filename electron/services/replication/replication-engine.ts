import { namingSchema } from '../../../shared/naming-schema.ts';
import { AppFailure, toAppError, type AppError } from '../../../shared/result.ts';
import { planRetention } from '../../../shared/retention-plan.ts';
import type { ReplicationTask } from '../../../shared/task-schemas.ts';
import { buildCommandLine } from '../ssh/command-runner.ts';
import type { Privilege } from '../ssh/ssh-command-runner.ts';
import { failureFromStderr } from '../ssh/stderr-error-table.ts';
import { listForReplication, type ListedDataset } from '../zfs/replication-listing.ts';
import { buildAbortReceiveArgv, buildReceiveArgv, buildSendArgv, buildSendEstimateArgv, parseSendEstimate, type SendFlags, type SendSource } from '../zfs/send-receive.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';
import { confirmationDigest, planReplication, type DestructiveStep, type Divergence, type ReplicationPlan, type SendStep } from './replication-planner.ts';
import { availableTools, requiredTools, transferStream, type TransferSide } from './stream-transfer.ts';
import { acquireTaskLock } from './task-lock.ts';

// Runs one replication task: lock, list both sides (one command each per source root), plan every dataset,
// refuse anything destructive that was not confirmed, prune the destination by its lifetime, send, hold the new
// common snapshot pair. A dry run stops after planning and returns the exact commands it would run.

export interface EngineNas {
  host: ZfsHost;
  privilege: Privilege;
  /** For messages: "admin@nas-a:22". */
  label: string;
}

export type EngineEvent =
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { kind: 'progress'; dataset: string; bytesSent: number; bytesTotal: number | null; bytesPerSecond: number; etaSeconds: number | null }
  | { kind: 'state'; state: 'running_full' | 'running_inc' };

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
  /** The digest from a refused run's report: confirms exactly the destruction it listed. */
  confirmation?: string;
  signal?: AbortSignal;
}

export interface DatasetReport {
  source: string;
  destination: string;
  plan: ReplicationPlan;
  /** Snapshots on the destination the lifetime policy prunes before sending. */
  prune: string[];
  estimatedBytes: number | null;
  bytesSent: number;
  snapshotsSent: number;
  /** Shell-quoted commands, in order (as run, or as a dry run would run them). */
  commands: string[];
}

export interface RunReport {
  taskId: string;
  startedAt: string;
  finishedAt: string;
  result: 'FINISHED' | 'FAILED' | 'REFUSED' | 'DRY_RUN';
  datasets: DatasetReport[];
  bytesSent: number;
  snapshotsSent: number;
  /** For REFUSED: every dataset's divergence and what proceeding would destroy, and the digest confirming it. */
  refusal: { wouldLose: string[]; divergence: Array<{ dataset: string; divergence: Divergence[]; resolution: DestructiveStep }>; confirmation: string } | null;
  error: AppError | null;
}

export const holdTagOf = (taskId: string) => `zfs-replication:${taskId}`;

/** Where a source dataset lands: <parent>/<source path without its pool>, e.g. tank/a/b -> backup/r/a/b. */
export function destinationNameOf(parent: string, sourceRoot: string, source: string): string {
  const rootTail = sourceRoot.includes('/') ? sourceRoot.slice(sourceRoot.lastIndexOf('/') + 1) : sourceRoot;
  return `${parent}/${rootTail}${source.slice(sourceRoot.length)}`;
}

function selector(task: ReplicationTask): (name: string) => boolean {
  const selection = task.selection;
  switch (selection.kind) {
    case 'all':
      return () => true;
    case 'regex': {
      const regex = new RegExp(selection.pattern);
      return (name) => regex.test(name);
    }
    case 'naming-schema': {
      const schemas = selection.schemas.map(namingSchema);
      return (name) => schemas.some((schema) => schema.matches(name));
    }
  }
}

function isExcluded(name: string, excludes: readonly string[]): boolean {
  return excludes.some((excluded) => name === excluded || name.startsWith(`${excluded}/`));
}

function stepCount(plan: ReplicationPlan, sourceSnapshots: ListedDataset['snapshots']): number {
  if (plan.status !== 'ready') return 0;
  let count = 0;
  const index = (name: string) => sourceSnapshots.findIndex((s) => s.name === name);
  for (const step of plan.steps) {
    if (step.kind === 'full') count += 1;
    else if (step.kind === 'incremental') count += step.intermediates ? Math.max(1, index(step.to) - index(step.from.replace(/^#/, ''))) : 1;
  }
  return count;
}

export async function runReplicationTask(task: ReplicationTask, deps: EngineDeps, options: EngineRunOptions = {}): Promise<RunReport> {
  const now = deps.now ?? (() => new Date());
  const emit = deps.emit ?? (() => undefined);
  const log = (level: 'info' | 'warn' | 'error', message: string) => emit({ kind: 'log', level, message });
  const report: RunReport = {
    taskId: task.id,
    startedAt: now().toISOString(),
    finishedAt: '',
    result: options.dryRun ? 'DRY_RUN' : 'FINISHED',
    datasets: [],
    bytesSent: 0,
    snapshotsSent: 0,
    refusal: null,
    error: null,
  };
  let release: (() => Promise<void>) | null = null;
  try {
    const source = await deps.nas(task.sourceConnectionId);
    const destination = await deps.nas(task.destinationConnectionId);
    if (!options.dryRun) {
      const lock = await acquireTaskLock({ taskId: task.id, taskName: task.name, runner: source.host.runner, by: deps.by ?? 'app', ...(options.signal ? { signal: options.signal } : {}) });
      release = lock.release;
    }
    await execute(task, source, destination, options, report, { log, emit, now });
  } catch (error) {
    report.result = 'FAILED';
    report.error = toAppError(error);
    log('error', `${report.error.message}${report.error.hint ? ` ${report.error.hint}` : ''}`);
  } finally {
    await release?.();
    report.finishedAt = now().toISOString();
  }
  return report;
}

interface Context {
  log(level: 'info' | 'warn' | 'error', message: string): void;
  emit(event: EngineEvent): void;
  now(): Date;
}

async function execute(task: ReplicationTask, source: EngineNas, destination: EngineNas, options: EngineRunOptions, report: RunReport, context: Context): Promise<void> {
  const { log } = context;
  const call = options.signal ? { signal: options.signal } : {};
  const select = selector(task);
  const direct = task.transport.kind === 'direct';

  // Tools beyond zfs, checked before anything changes.
  const needs = requiredTools({ direct, compression: task.compression });
  const [sourceHas, destinationHas] = await Promise.all([
    availableTools(source.host.runner, [...needs.source, ...(direct ? ['pv', 'mbuffer'] : [])], options.signal),
    availableTools(destination.host.runner, needs.destination, options.signal),
  ]);
  for (const [side, wanted, found] of [[source, needs.source, sourceHas], [destination, needs.destination, destinationHas]] as const) {
    const missing = wanted.filter((tool) => !found.has(tool));
    if (missing.length > 0) {
      throw new AppFailure('COMMAND_NOT_FOUND', `${side.label} lacks ${missing.join(', ')}, which this task needs.`, `Install ${missing.join(' and ')} on that NAS, or change the task's compression or transport.`);
    }
  }

  // The destination parent: listed once; created (unless dry run) when missing; never a volume.
  const parentListing = await listForReplication(destination.host, task.destinationParent, call);
  const parent = parentListing?.get(task.destinationParent);
  if (parent?.type === 'volume') {
    throw new AppFailure('INVALID_REQUEST', `${task.destinationParent} on ${destination.label} is a volume (zvol); a volume cannot hold datasets.`, 'Pick a filesystem dataset as the destination parent.');
  }
  const createParentCommand = [destination.host.capabilities.tools.zfs, 'create', '-p', task.destinationParent];

  // Plan every dataset first: nothing runs until every plan is known and allowed.
  const work: Array<{ report: DatasetReport; sourceDataset: ListedDataset; destinationDataset: ListedDataset | null }> = [];
  for (const spec of task.sources) {
    const listing = await listForReplication(source.host, spec.name, call);
    if (!listing) throw new AppFailure('DATASET_NOT_FOUND', `Source dataset ${spec.name} does not exist on ${source.label}.`, 'Check the task\'s source datasets.');
    const datasets = [...listing.values()].filter((d) => (spec.recursive ? !isExcluded(d.name, spec.exclude) : d.name === spec.name));
    for (const sourceDataset of datasets) {
      const destinationName = destinationNameOf(task.destinationParent, spec.name, sourceDataset.name);
      const destinationDataset = parentListing?.get(destinationName) ?? null;
      const destinationState = {
        dataset: destinationName,
        exists: destinationDataset !== null,
        snapshots: destinationDataset?.snapshots ?? [],
        writtenSinceNewestSnapshot: destinationDataset?.writtenBytes ?? 0,
        usedBytes: destinationDataset?.usedBytes ?? 0,
        receiveResumeToken: destinationDataset?.receiveResumeToken ?? null,
      };
      const plan = planReplication({ dataset: sourceDataset.name, snapshots: sourceDataset.snapshots, bookmarks: sourceDataset.bookmarks }, destinationState, { select });
      work.push({
        sourceDataset,
        destinationDataset,
        report: { source: sourceDataset.name, destination: destinationName, plan, prune: [], estimatedBytes: null, bytesSent: 0, snapshotsSent: 0, commands: [] },
      });
    }
  }
  report.datasets = work.map((w) => w.report);

  // Refusals: all of them at once, confirmed as one list.
  const refused = work.filter((w) => w.report.plan.status === 'refused');
  if (refused.length > 0) {
    const wouldLose = refused.flatMap((w) => (w.report.plan.status === 'refused' ? w.report.plan.refusal.wouldLose : []));
    const digest = confirmationDigest(wouldLose);
    if (options.confirmation !== digest) {
      report.result = 'REFUSED';
      report.refusal = {
        wouldLose,
        confirmation: digest,
        divergence: refused.map((w) => {
          const refusal = (w.report.plan as Extract<ReplicationPlan, { status: 'refused' }>).refusal;
          return { dataset: w.report.destination, divergence: refusal.divergence, resolution: refusal.resolution };
        }),
      };
      report.error = {
        code: 'CONFIRMATION_REQUIRED',
        message: `The destination has diverged; replicating would destroy: ${wouldLose.join('; ')}.`,
        hint: 'Nothing was changed. Review the list; to proceed, run again with this confirmation (it covers exactly this list).',
        details: { confirmation: digest, wouldLose },
      };
      log('warn', report.error.message);
      return;
    }
    // Confirmed: plan those datasets again with their own digests.
    for (const w of refused) {
      const refusal = (w.report.plan as Extract<ReplicationPlan, { status: 'refused' }>).refusal;
      const d = w.destinationDataset;
      w.report.plan = planReplication(
        { dataset: w.sourceDataset.name, snapshots: w.sourceDataset.snapshots, bookmarks: w.sourceDataset.bookmarks },
        { dataset: w.report.destination, exists: d !== null, snapshots: d?.snapshots ?? [], writtenSinceNewestSnapshot: d?.writtenBytes ?? 0, usedBytes: d?.usedBytes ?? 0, receiveResumeToken: d?.receiveResumeToken ?? null },
        { select, confirmation: refusal.confirmation },
      );
    }
  }

  // Destination lifetime: prune before sending (naming-schema tasks; the common base and held snapshots stay).
  if (task.selection.kind === 'naming-schema' && task.destinationLifetime.kind !== 'forever') {
    const schemas = task.selection.schemas.map(namingSchema);
    for (const w of work) {
      if (!w.destinationDataset || w.report.plan.status === 'refused') continue;
      const base = w.report.plan.status === 'nothing-to-send' || w.report.plan.status === 'up-to-date' || w.report.plan.status === 'ready' ? w.report.plan.base : null;
      const sourceNames = new Set(w.sourceDataset.snapshots.map((s) => s.name));
      for (const schema of schemas) {
        const decisions = planRetention({
          snapshots: w.destinationDataset.snapshots.map((s) => ({ name: s.name, holds: s.userRefs })),
          schema,
          lifetime: task.destinationLifetime,
          now: context.now(),
          protectedNames: new Set(base ? [base] : []),
          sourceNames,
        });
        w.report.prune.push(...decisions.filter((d) => d.action === 'prune').map((d) => d.name));
      }
    }
  }

  const flagsFor = (dataset: ListedDataset): SendFlags => ({
    raw: task.encryption.kind === 'as-source' && dataset.encrypted,
    compact: true,
    properties: task.properties.replicate,
  });
  const receiveFor = (w: (typeof work)[number]) => ({
    target: w.report.destination,
    setProperties: { ...(task.destinationReadonly ? { readonly: 'on' } : {}), ...task.properties.override },
    excludeProperties: task.properties.exclude,
  });
  const sendSourceOf = (w: (typeof work)[number], step: SendStep): SendSource => {
    const name = w.sourceDataset.name;
    if (step.kind === 'full') return { kind: 'full', snapshot: `${name}@${step.snapshot}` };
    if (step.kind === 'resume') return { kind: 'resume', token: step.token };
    return { kind: 'incremental', from: step.from.startsWith('#') ? `${name}${step.from}` : `${name}@${step.from}`, snapshot: `${name}@${step.to}`, intermediates: step.intermediates };
  };
  const sourceTools = source.host.capabilities.tools;
  const destinationTools = destination.host.capabilities.tools;
  const destroyArgvOf = (w: (typeof work)[number], step: DestructiveStep) =>
    step.kind === 'rollback' ? [destinationTools.zfs, 'rollback', '-r', step.to] : [destinationTools.zfs, 'destroy', '-r', w.report.destination];
  const pruneArgvOf = (w: (typeof work)[number]) => [destinationTools.zfs, 'destroy', `${w.report.destination}@${w.report.prune.join(',')}`];

  // Estimates and the command list (what a dry run shows and what a real run will do).
  for (const w of work) {
    const plan = w.report.plan;
    if (w.report.prune.length > 0) w.report.commands.push(buildCommandLine(pruneArgvOf(w)));
    if (plan.status !== 'ready') continue;
    if (plan.destructive) w.report.commands.push(buildCommandLine(destroyArgvOf(w, plan.destructive)));
    let estimate = 0;
    for (const step of plan.steps) {
      const sendSource = sendSourceOf(w, step);
      const flags = flagsFor(w.sourceDataset);
      const { stdout, stderr } = await source.host.runner.run(buildSendEstimateArgv(sourceTools, sendSource, flags), { ...call, timeoutMs: 120_000 });
      estimate += parseSendEstimate(`${stdout}\n${stderr}`) ?? 0;
      w.report.commands.push(`${buildCommandLine(buildSendArgv(sourceTools, sendSource, flags))} | ${buildCommandLine(buildReceiveArgv(destinationTools, receiveFor(w)))}`);
    }
    w.report.estimatedBytes = estimate;
  }
  const needsParent = !parent;
  if (needsParent && work.some((w) => w.report.plan.status === 'ready')) work[0]?.report.commands.unshift(buildCommandLine(createParentCommand));

  if (options.dryRun) {
    log('info', `Dry run of "${task.name}": ${work.map((w) => `${w.report.source} -> ${w.report.destination}: ${w.report.plan.status}`).join('; ')}. Nothing was changed.`);
    return;
  }

  if (needsParent && work.some((w) => w.report.plan.status === 'ready')) {
    log('info', `Creating destination parent ${task.destinationParent} on ${destination.label}.`);
    await destination.host.runner.run(createParentCommand, call);
  }

  const tag = holdTagOf(task.id);
  for (const w of work) {
    if (w.report.prune.length > 0) {
      log('info', `Pruning ${w.report.prune.length} expired snapshot(s) of ${w.report.destination}: ${w.report.prune.join(', ')}.`);
      await destination.host.runner.run(pruneArgvOf(w), call);
    }
    let plan = w.report.plan;
    if (plan.status !== 'ready') {
      log('info', `${w.report.source} -> ${w.report.destination}: ${plan.status === 'up-to-date' ? 'up to date' : plan.status === 'nothing-to-send' ? plan.reason : plan.status}.`);
      continue;
    }
    context.emit({ kind: 'state', state: plan.base === null ? 'running_full' : 'running_inc' });
    if (plan.destructive) {
      log('warn', `Confirmed: ${plan.destructive.kind === 'rollback' ? `rolling back ${plan.destructive.to}` : `destroying ${w.report.destination}`}; this destroys ${plan.destructive.destroys.join('; ')}.`);
      // After a rollback the incremental applies cleanly; after a destroy the full send creates the dataset again.
      await destination.host.runner.run(destroyArgvOf(w, plan.destructive), call);
    }

    const transferSide = (nas: EngineNas): TransferSide => ({ runner: nas.host.runner, tools: nas.host.capabilities.tools, privilege: nas.privilege });
    const started = Date.now();
    let lastEmit = 0;
    const total = w.report.estimatedBytes;
    let sentBefore = 0;
    for (let index = 0; index < plan.steps.length; index++) {
      const step = plan.steps[index]!;
      const sendSource = sendSourceOf(w, step);
      const onBytes = (bytes: number) => {
        const at = Date.now();
        if (at - lastEmit < 250) return;
        lastEmit = at;
        const sent = sentBefore + bytes;
        const rate = sent / Math.max(0.001, (at - started) / 1000);
        context.emit({ kind: 'progress', dataset: w.report.source, bytesSent: sent, bytesTotal: total, bytesPerSecond: rate, etaSeconds: total && rate > 0 ? Math.max(0, (total - sent) / rate) : null });
      };
      try {
        const result = await transferStream({
          source: transferSide(source),
          destination: transferSide(destination),
          send: sendSource,
          sendFlags: flagsFor(w.sourceDataset),
          receive: receiveFor(w),
          transport:
            task.transport.kind === 'relay'
              ? { kind: 'relay' }
              : { kind: 'direct', host: task.transport.destinationHost, port: task.transport.destinationPort, user: task.transport.destinationUser, meter: sourceHas.has('pv') ? 'pv' : sourceHas.has('mbuffer') ? 'mbuffer' : 'none' },
          compression: task.compression,
          bandwidthLimitKiBps: task.bandwidthLimitKiBps,
          ...(options.signal ? { signal: options.signal } : {}),
          onBytes,
        });
        sentBefore += result.bytes;
        w.report.bytesSent += result.bytes;
        log('info', `${step.kind === 'full' ? 'Full' : step.kind === 'resume' ? 'Resumed' : 'Incremental'} send ${step.kind === 'incremental' ? `${step.from} -> ${step.to}` : step.kind === 'full' ? step.snapshot : ''} of ${w.report.source}: ${result.bytes} bytes in ${result.seconds.toFixed(1)} s.`);
      } catch (error) {
        if (step.kind === 'resume' && error instanceof AppFailure && /no longer exists|does not exist|resume token|invalid/i.test(error.message)) {
          // The snapshot the interrupted stream came from is gone on the source: drop the partial state, plan again.
          log('warn', `The interrupted receive into ${w.report.destination} cannot be resumed (${error.message}); aborting it and planning again.`);
          await destination.host.runner.run(buildAbortReceiveArgv(destinationTools, w.report.destination), call);
          const fresh = await listForReplication(destination.host, w.report.destination, call);
          const d = fresh?.get(w.report.destination) ?? null;
          plan = planReplication(
            { dataset: w.sourceDataset.name, snapshots: w.sourceDataset.snapshots, bookmarks: w.sourceDataset.bookmarks },
            { dataset: w.report.destination, exists: d !== null, snapshots: d?.snapshots ?? [], writtenSinceNewestSnapshot: d?.writtenBytes ?? 0, usedBytes: d?.usedBytes ?? 0, receiveResumeToken: null },
            { select },
          );
          w.report.plan = plan;
          if (plan.status !== 'ready') break;
          index = -1;
          continue;
        }
        throw error;
      }
      if (step.kind === 'resume') {
        // Finished the interrupted stream; now plan the rest from a fresh listing.
        const fresh = await listForReplication(destination.host, w.report.destination, call);
        const d = fresh?.get(w.report.destination) ?? null;
        plan = planReplication(
          { dataset: w.sourceDataset.name, snapshots: w.sourceDataset.snapshots, bookmarks: w.sourceDataset.bookmarks },
          { dataset: w.report.destination, exists: d !== null, snapshots: d?.snapshots ?? [], writtenSinceNewestSnapshot: d?.writtenBytes ?? 0, usedBytes: d?.usedBytes ?? 0, receiveResumeToken: null },
          { select },
        );
        w.report.plan = plan;
        if (plan.status !== 'ready') break;
        index = -1;
      }
    }
    w.report.snapshotsSent = stepCount(plan, w.sourceDataset.snapshots);
    report.bytesSent += w.report.bytesSent;
    report.snapshotsSent += w.report.snapshotsSent;

    // Hold the new common pair so no prune breaks the chain; release the previous base.
    if (plan.status === 'ready' && plan.newest) {
      const newest = plan.newest;
      await holdOrRelease(source, 'hold', tag, `${w.sourceDataset.name}@${newest}`, call);
      await holdOrRelease(destination, 'hold', tag, `${w.report.destination}@${newest}`, call);
      const base = plan.base;
      if (base && base !== newest && w.sourceDataset.snapshots.some((s) => s.name === base)) {
        await holdOrRelease(source, 'release', tag, `${w.sourceDataset.name}@${base}`, call);
        await holdOrRelease(destination, 'release', tag, `${w.report.destination}@${base}`, call);
      }
    }
  }
  log('info', `Task "${task.name}" finished: ${report.snapshotsSent} snapshot(s), ${report.bytesSent} bytes.`);
}

/** Hold or release one snapshot; "already held" and "no such hold" are fine (a re-run after a crash). */
async function holdOrRelease(nas: EngineNas, verb: 'hold' | 'release', tag: string, snapshot: string, call: { signal?: AbortSignal }): Promise<void> {
  const argv = [nas.host.capabilities.tools.zfs, verb, tag, snapshot];
  const { exitCode, stderr } = await nas.host.runner.run(argv, { ...call, expectedExitCodes: [0, 1] });
  if (exitCode === 0 || /tag already exists|no such tag|does not exist/.test(stderr)) return;
  throw failureFromStderr({ label: nas.label, command: buildCommandLine(argv), exitCode, stderr });
}
