import { z } from 'zod';

// What a destruction is, as one object (the engine's destruction plans, electron/services/zfs/destruction.ts):
// its own module so both the reports (shared/replication-reports.ts) and the errors (shared/result.ts: a
// CONFIRMATION_REQUIRED carries the plan to confirm) use the same definition.

/** One thing an operation destroys, identified by its GUID (a name can be reused; a GUID cannot). */
export const DestructionItemSchema = z.strictObject({
  kind: z.enum(['filesystem', 'volume', 'snapshot', 'bookmark', 'written-data']),
  /** Full name (pool/a, pool/a@s, pool/a#b); for written-data, the dataset whose unsnapshotted writes are discarded. */
  name: z.string(),
  /** Decimal GUID; for written-data, the dataset's. */
  guid: z.string(),
  /** `used` of a dataset or snapshot, the `written` bytes of written-data; null for bookmarks. */
  bytes: z.number().nullable(),
  /** In words, what it is or why it matters: "not on the source", "held by …", "since @s1". */
  note: z.string().nullable(),
});
export type DestructionItem = z.infer<typeof DestructionItemSchema>;

const operationFields = {
  /** Everything the command destroys, descendants included. */
  items: z.array(DestructionItemSchema),
  /** The command as it will run (shell-quoted). */
  command: z.string(),
};

/** One destructive command and exactly what it destroys. */
export const DestructiveOperationSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('destroy-dataset'), dataset: z.string(), ...operationFields }),
  /** Short names, all of `dataset`: one atomic `zfs destroy dataset@a,b`. */
  z.strictObject({ kind: z.literal('destroy-snapshots'), dataset: z.string(), snapshots: z.array(z.string()), ...operationFields }),
  z.strictObject({ kind: z.literal('rollback'), to: z.string(), ...operationFields }),
]);
export type DestructiveOperation = z.infer<typeof DestructiveOperationSchema>;

/**
 * Everything one action destroys on one NAS, as one object: the operations with their items, and a digest bound to
 * the purpose, the task, the connection and every item's GUID. A confirmation is that digest; right before acting,
 * the destination is listed again and any difference refuses the action (nothing that was not listed goes).
 */
export const DestructionPlanSchema = z.strictObject({
  purpose: z.enum(['divergence', 'prune', 'destroy-snapshots', 'rollback', 'destroy-dataset']),
  /** The replication or periodic snapshot task it belongs to; null for an admin's own action on a snapshot screen. */
  taskId: z.string().nullable(),
  /** The saved connection of the NAS it acts on. */
  connectionId: z.string(),
  /** For messages: "root@nas-b:22". */
  host: z.string(),
  operations: z.array(DestructiveOperationSchema),
  /** Snapshots asked for that cannot go, and why (held, or a task's common base); not part of any operation. */
  refused: z.array(z.strictObject({ name: z.string(), reason: z.string() })),
  /** The space `zfs destroy -nv` says the snapshot destroys free; null when not measured. */
  reclaimBytes: z.number().nullable(),
  /** What a confirmation must carry. */
  digest: z.string(),
});
export type DestructionPlan = z.infer<typeof DestructionPlanSchema>;

/** A difference between a confirmed plan and the NAS right before acting. */
export const DestructionChangeSchema = z.strictObject({
  change: z.enum(['added', 'removed', 'changed']),
  /** The item as it is now (added, changed) or as it was listed (removed). */
  item: DestructionItemSchema,
  /** changed: the item as it was listed. */
  was: DestructionItemSchema.nullable(),
});
export type DestructionChange = z.infer<typeof DestructionChangeSchema>;

/** What a destruction did: the names zfs reported destroyed, in its order. */
export const DestructionOutcomeSchema = z.strictObject({
  destroyed: z.array(z.string()),
  /** Bytes zfs said the snapshot destroys freed; null when it did not say (datasets, rollbacks). */
  reclaimBytes: z.number().nullable(),
  commands: z.array(z.string()),
  /** Policy prunes only: listed items that changed before acting and were left alone. */
  skipped: z.array(DestructionChangeSchema),
});
export type DestructionOutcome = z.infer<typeof DestructionOutcomeSchema>;

