import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ensurePrivateDir, writePrivateFileAtomic } from '../store/private-files.ts';

// The capability probe costs seconds per NAS (one `sh -c` that asks zfs, zpool and uname), and a cron cycle starts a
// new process each time: remembering what it found, on disk, is what lets a no-op run go straight to the lock and
// the listings. What is kept is the probe's raw output: it is parsed again on every use by the same parser the probe
// uses, so a cache entry can never hold a shape the code does not check, and a parser change applies to old entries.
//
// An entry is used only while it is fresh (a day by default) and only for the same connection settings (host, port,
// user, authentication, privilege mode, pinned host key: a re-installed NAS gets a new host key). The registry drops
// it when a command fails in a way a stale entry could explain (a zfs or zpool that moved, an OpenZFS version that
// changed) and when the admin tests or edits the connection. It is a cache: a lost or unreadable file only costs a
// probe, so concurrent writers (the app and a cron run) simply keep the last write.

export const capabilityCacheFile = 'capabilities-cache.json';
/** A day: an upgrade of OpenZFS on a NAS is seen by the next day's first run at the latest (or by a failure). */
export const defaultCapabilityMaxAgeMs = 24 * 60 * 60 * 1000;

const CacheEntrySchema = z.object({
  /** The connection's settings the probe was made with (see NasRegistry). */
  key: z.string(),
  probedAt: z.number(),
  /** The probe script's output, as the NAS printed it. */
  output: z.string().max(1_000_000),
});
const CacheFileSchema = z.object({ version: z.literal(1), entries: z.record(z.string(), CacheEntrySchema) });
type CacheFile = z.infer<typeof CacheFileSchema>;

export interface CapabilityCache {
  /** The probe output kept for this connection and settings, if fresh. */
  get(connectionId: string, key: string): { output: string; probedAt: number } | null;
  set(connectionId: string, key: string, output: string): void;
  forget(connectionId: string): void;
}

/** The cache in `<data folder>/cache/capabilities-cache.json` (0600, in a 0700 folder). */
export class FileCapabilityCache implements CapabilityCache {
  readonly #file: string;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(dataDir: string, options: { maxAgeMs?: number; now?: () => number } = {}) {
    this.#file = path.join(dataDir, 'cache', capabilityCacheFile);
    this.#maxAgeMs = options.maxAgeMs ?? defaultCapabilityMaxAgeMs;
    this.#now = options.now ?? Date.now;
  }

  get(connectionId: string, key: string): { output: string; probedAt: number } | null {
    const entry = this.#read().entries[connectionId];
    if (entry === undefined || entry.key !== key) return null;
    const age = this.#now() - entry.probedAt;
    // A clock set back makes an entry look younger than it is: refuse it rather than trust it for ever.
    if (age < 0 || age > this.#maxAgeMs) return null;
    return { output: entry.output, probedAt: entry.probedAt };
  }

  set(connectionId: string, key: string, output: string): void {
    this.#update((file) => {
      file.entries[connectionId] = { key, probedAt: this.#now(), output };
    });
  }

  forget(connectionId: string): void {
    if (this.#read().entries[connectionId] === undefined) return;
    this.#update((file) => {
      delete file.entries[connectionId];
    });
  }

  #read(): CacheFile {
    try {
      const parsed = CacheFileSchema.safeParse(JSON.parse(readFileSync(this.#file, 'utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // Absent or unreadable: nothing cached.
    }
    return { version: 1, entries: {} };
  }

  #update(change: (file: CacheFile) => void): void {
    const file = this.#read();
    change(file);
    try {
      ensurePrivateDir(path.dirname(this.#file));
      writePrivateFileAtomic(this.#file, `${JSON.stringify(file)}\n`);
    } catch {
      // A cache that cannot be written (read-only folder, disk full) costs a probe next time, nothing more.
    }
  }
}
