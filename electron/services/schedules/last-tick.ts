import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writePrivateFileAtomic } from '../store/private-files.ts';
import type { LastTickStore } from './task-scheduler.ts';

// The scheduler's memory across restarts: when it last looked at the schedules. Written by the process holding the
// settings folder's scheduler lock at every tick (a few dozen bytes every 15 s), read when a scheduler becomes the
// active one: the times between are the ones missed while the computer was off or asleep, or while nothing ran.

const StateSchema = z.object({ lastTick: z.iso.datetime() });

export function schedulerStatePath(configDir: string): string {
  return path.join(configDir, 'scheduler-state.json');
}

export function fileLastTickStore(configDir: string): LastTickStore {
  const file = schedulerStatePath(configDir);
  return {
    read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      try {
        const parsed = StateSchema.safeParse(JSON.parse(text));
        return parsed.success ? new Date(parsed.data.lastTick) : null;
      } catch {
        // Unreadable (a torn write cannot happen: writes are atomic): start from now, as on a first start.
        return null;
      }
    },
    write(at) {
      writePrivateFileAtomic(file, `${JSON.stringify({ lastTick: at.toISOString() })}\n`);
    },
  };
}
