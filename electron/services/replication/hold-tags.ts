// The hold tag of a replication task: it marks the task's common snapshot pair on both NAS, so no prune can break
// the incremental chain, and tells a snapshot screen whose common base a held snapshot is.

export const holdTagPrefix = 'zfs-replication:';

export const holdTagOf = (taskId: string): string => `${holdTagPrefix}${taskId}`;
