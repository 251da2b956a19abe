import type { NamingSchema } from './naming-schema.ts';

// What a retention policy keeps and prunes, decided before anything is destroyed so the UI can show it (the visual
// retention review) and the engine can act on exactly the reviewed list. Pure: no clock, no I/O.

export const lifetimeUnits = ['hours', 'days', 'weeks', 'months', 'years'] as const;
export type LifetimeUnit = (typeof lifetimeUnits)[number];

export type Lifetime =
  | { kind: 'forever' }
  /** Destination only: a snapshot goes once its source counterpart is gone (TrueNAS "Same as Source"). */
  | { kind: 'same-as-source' }
  | { kind: 'custom'; amount: number; unit: LifetimeUnit };

export interface RetentionSnapshot {
  /** The part after '@'. */
  name: string;
  /** User holds on it (`userrefs`); a held snapshot cannot be destroyed and is never proposed. */
  holds: number;
}

export interface RetentionInput {
  snapshots: readonly RetentionSnapshot[];
  schema: NamingSchema;
  lifetime: Lifetime;
  now: Date;
  /** Snapshots a task needs as its incremental base (the last common snapshot of each task). */
  protectedNames?: ReadonlySet<string>;
  /** For 'same-as-source': the snapshot names still present on the source. */
  sourceNames?: ReadonlySet<string>;
}

export interface RetentionDecision {
  name: string;
  action: 'keep' | 'prune';
  reason: string;
  /** When a custom lifetime ends for this snapshot; null when it never expires or does not apply. */
  expiresAt: Date | null;
}

export function addLifetime(from: Date, amount: number, unit: LifetimeUnit): Date {
  const date = new Date(from.getTime());
  switch (unit) {
    case 'hours':
      date.setUTCHours(date.getUTCHours() + amount);
      break;
    case 'days':
      date.setUTCDate(date.getUTCDate() + amount);
      break;
    case 'weeks':
      date.setUTCDate(date.getUTCDate() + 7 * amount);
      break;
    case 'months':
    case 'years': {
      // Calendar arithmetic that clamps to the month's last day: Jan 31 + 1 month is Feb 28, not Mar 3.
      const months = unit === 'months' ? amount : 12 * amount;
      const target = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + months, 1, from.getUTCHours(), from.getUTCMinutes(), from.getUTCSeconds()));
      const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
      target.setUTCDate(Math.min(from.getUTCDate(), lastDay));
      return target;
    }
  }
  return date;
}

export function planRetention(input: RetentionInput): RetentionDecision[] {
  const { schema, lifetime, now } = input;
  const dated = input.snapshots.map((snapshot) => ({ snapshot, takenAt: schema.parse(snapshot.name) }));
  let newest: string | null = null;
  let newestTime = -Infinity;
  for (const { snapshot, takenAt } of dated) {
    if (takenAt && takenAt.getTime() > newestTime) {
      newestTime = takenAt.getTime();
      newest = snapshot.name;
    }
  }

  return dated.map(({ snapshot, takenAt }): RetentionDecision => {
    const keep = (reason: string, expiresAt: Date | null = null): RetentionDecision => ({ name: snapshot.name, action: 'keep', reason, expiresAt });
    if (!takenAt) return keep(`does not follow the naming schema ${schema.pattern}: never pruned by this policy`);
    const expiresAt = lifetime.kind === 'custom' ? addLifetime(takenAt, lifetime.amount, lifetime.unit) : null;
    if (snapshot.holds > 0) return keep(`held (${snapshot.holds} hold${snapshot.holds === 1 ? '' : 's'})`, expiresAt);
    if (input.protectedNames?.has(snapshot.name)) return keep('last common snapshot of a replication task: the next incremental starts from it', expiresAt);
    if (snapshot.name === newest) return keep('newest snapshot of this schema: always kept', expiresAt);
    switch (lifetime.kind) {
      case 'forever':
        return keep('kept forever');
      case 'same-as-source':
        if (!input.sourceNames) return keep('source snapshots unknown: nothing is pruned');
        return input.sourceNames.has(snapshot.name)
          ? keep('still present on the source')
          : { name: snapshot.name, action: 'prune', reason: 'no longer on the source', expiresAt: null };
      case 'custom':
        return now.getTime() >= expiresAt!.getTime()
          ? { name: snapshot.name, action: 'prune', reason: `expired ${expiresAt!.toISOString()} (${lifetime.amount} ${lifetime.unit})`, expiresAt }
          : keep(`expires ${expiresAt!.toISOString()}`, expiresAt);
    }
  });
}
