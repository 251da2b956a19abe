// `zfs hold tag a@s b@s …` makes one OpenZFS sync task per snapshot, each waiting for a transaction group: a task's
// holds on a tree of 30 datasets took 3.1 s on the project's VMs, its release 3.9 s. `zfs hold -r tag a@s` gathers
// every same-named snapshot below a into ONE sync task (0.25–0.4 s there). But -r also takes snapshots the run never
// named (an excluded child's, a foreign dataset's below a replica), so it is used only where the side's listing
// proves that every snapshot of that name below the root is one the run means to hold or release.
//
// Verified on OpenZFS 2.3 (the VMs): `hold -r` skips descendants without the snapshot; it is atomic (one hold already
// there refuses the whole batch: settleHolds then retries the snapshots one by one); `release -r` skips
// descendants without the tag and releases the rest.

/** What the run knows of one side's datasets, for deciding where -r is exact. */
export interface KnownSide {
  /** Listing roots: every dataset below each of them (at listing time) is a key of `snapshotsOf`. */
  roots: readonly string[];
  /** Each known dataset's snapshot names (short, without the dataset). */
  snapshotsOf: ReadonlyMap<string, ReadonlySet<string>>;
  /**
   * Datasets that must never be reached by a -r unless they are named, whatever their listing said (the run's own
   * datasets: one that received a snapshot this run without being named, after a later step failed, must keep its
   * old hold).
   */
  alwaysOutside?: Iterable<string>;
}

/** The commands' arguments: `zfs hold|release -r TAG …recursive` and `zfs hold|release TAG …single`. */
export interface HoldBatches {
  /** root@snap arguments for -r; `members` says which named snapshots each stands for. */
  recursive: Array<{ snapshot: string; members: string[] }>;
  single: string[];
}

const splitSnapshot = (full: string): [string, string] => {
  const at = full.indexOf('@');
  return [full.slice(0, at), full.slice(at + 1)];
};

const isAtOrBelow = (dataset: string, root: string) => dataset === root || dataset.startsWith(`${root}/`);

/**
 * Splits full snapshot names into the fewest -r roots plus singles. A dataset is a -r root for snapshot name s when
 * it is named itself (its own d@s is in the request), lies under a listing root, and no dataset at or below it holds
 * a snapshot s that is not named (from the listing, or any `alwaysOutside` dataset not named). The topmost such
 * dataset is taken; what no root covers stays single.
 */
export function holdBatches(snapshots: readonly string[], side: KnownSide): HoldBatches {
  const byName = new Map<string, Set<string>>();
  for (const full of snapshots) {
    const [dataset, name] = splitSnapshot(full);
    let datasets = byName.get(name);
    if (!datasets) byName.set(name, (datasets = new Set()));
    datasets.add(dataset);
  }
  const outsideAlways = [...(side.alwaysOutside ?? [])];
  const batches: HoldBatches = { recursive: [], single: [] };
  for (const [name, named] of byName) {
    const outsiders = [...side.snapshotsOf].filter(([dataset, snaps]) => snaps.has(name) && !named.has(dataset)).map(([dataset]) => dataset);
    for (const dataset of outsideAlways) if (!named.has(dataset)) outsiders.push(dataset);
    const exact = (root: string) => side.roots.some((listed) => isAtOrBelow(root, listed)) && !outsiders.some((d) => isAtOrBelow(d, root));
    const roots = new Set<string>();
    for (const dataset of named) {
      // Ancestors from the top down: the first one that is named and exact covers this dataset.
      const parts = dataset.split('/');
      let chosen: string | null = null;
      for (let depth = 1; depth <= parts.length && chosen === null; depth++) {
        const candidate = parts.slice(0, depth).join('/');
        if (named.has(candidate) && exact(candidate)) chosen = candidate;
      }
      if (chosen !== null) roots.add(chosen);
      else batches.single.push(`${dataset}@${name}`);
    }
    for (const root of roots) {
      const members = [...named].filter((d) => isAtOrBelow(d, root)).map((d) => `${d}@${name}`);
      // A root that stands for itself alone gains nothing from -r (still one sync task): it is named as it is.
      if (members.length === 1) batches.single.push(...members);
      else batches.recursive.push({ snapshot: `${root}@${name}`, members });
    }
  }
  // A root below another root of the same name cannot happen (the topmost is always chosen); singles below a root
  // are covered by it and were not added.
  return batches;
}
