import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

// A task's log: one line per event, appended the moment it happens (a synchronous append: `watch` and the UI
// follow it live, and a crash or kill keeps every line written until then). Rotated by size: <task>.log is the
// current file, <task>.log.1 the previous one, and so on up to `keep`.

export interface TaskLogOptions {
  /** The current file is rotated before it would grow past this. Default 2 MiB. */
  maxBytes?: number;
  /** Rotated files kept besides the current one. Default 3. */
  keep?: number;
}

export interface TaskLogChunk {
  /** Whole lines, from `offset`. */
  text: string;
  /** Where this chunk starts (0 when the requested offset was past the end: the file was rotated since). */
  offset: number;
  /** Where the next read continues. */
  nextOffset: number;
  /** The current file's size now. */
  size: number;
  /** The requested offset was past the end: the file was rotated (or replaced) since, reading starts again at 0. */
  restarted: boolean;
}

export const defaultTaskLogMaxBytes = 2 * 1024 * 1024;

/** One line per record: continuation lines of a multi-line message are indented, so a line still starts a record. */
export function formatLogLine(at: Date, level: string, message: string): string {
  return `${at.toISOString()} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, '\n    ')}\n`;
}

/**
 * A file appended to line by line and rotated by size: `file` is the current one, `file.1` the previous one and so
 * on up to `keep`. Each append is one synchronous write (O_APPEND), so several processes can share the file.
 */
export class RotatingFile {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  #size: number | null = null;

  constructor(file: string, options: { maxBytes: number; keep: number }) {
    this.path = file;
    this.#maxBytes = options.maxBytes;
    this.#keep = options.keep;
  }

  append(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (this.#size === null) {
      mkdirSync(path.dirname(this.path), { recursive: true, mode: 0o700 });
      this.#size = existsSync(this.path) ? statSync(this.path).size : 0;
    }
    if (this.#size > 0 && this.#size + bytes > this.#maxBytes) {
      // Another process may have rotated it already: only a file that is really full is rotated.
      const actual = existsSync(this.path) ? statSync(this.path).size : 0;
      if (actual > 0 && actual + bytes > this.#maxBytes) this.#rotate();
      this.#size = existsSync(this.path) ? statSync(this.path).size : 0;
    }
    appendFileSync(this.path, text, { mode: 0o600 });
    this.#size += bytes;
  }

  #rotate(): void {
    const file = this.path;
    rmSync(`${file}.${this.#keep}`, { force: true });
    for (let i = this.#keep - 1; i >= 1; i--) {
      if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
    }
    if (this.#keep > 0) renameSync(file, `${file}.1`);
    else rmSync(file, { force: true });
  }

  /** The current file first, then the rotated ones, newest first (those that exist). */
  files(): string[] {
    return [this.path, ...Array.from({ length: this.#keep }, (_, i) => `${this.path}.${i + 1}`)].filter((file) => existsSync(file));
  }
}

export class TaskLog {
  readonly dir: string;
  readonly #maxBytes: number;
  readonly #keep: number;
  /** One appender per task file this process writes. */
  readonly #files = new Map<string, RotatingFile>();

  constructor(dir: string, options: TaskLogOptions = {}) {
    this.dir = dir;
    this.#maxBytes = options.maxBytes ?? defaultTaskLogMaxBytes;
    this.#keep = options.keep ?? 3;
  }

  path(taskId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(taskId)) throw new TypeError(`Not a task id: ${JSON.stringify(taskId)}`);
    return path.join(this.dir, `${taskId}.log`);
  }

  #file(taskId: string): RotatingFile {
    const file = this.path(taskId);
    let appender = this.#files.get(file);
    if (!appender) {
      appender = new RotatingFile(file, { maxBytes: this.#maxBytes, keep: this.#keep });
      this.#files.set(file, appender);
    }
    return appender;
  }

  /** The current file first, then the rotated ones, newest first (those that exist). */
  files(taskId: string): string[] {
    return this.#file(taskId).files();
  }

  append(taskId: string, level: string, message: string, at: Date = new Date()): void {
    this.#file(taskId).append(formatLogLine(at, level, message));
  }

  /** Whole lines of the current file from `offset` (bytes), at most about `maxBytes` of them. */
  read(taskId: string, offset = 0, maxBytes = 256 * 1024): TaskLogChunk {
    return readLines(this.path(taskId), offset, maxBytes);
  }

  /**
   * Follows the task's log from `offset`: `onChunk` gets each new run of whole lines as it is written (by this
   * process or another: the CLI, the daemon). A rotation starts again at the new file's beginning. Returns stop().
   */
  follow(taskId: string, offset: number, onChunk: (chunk: TaskLogChunk) => void, options: { pollMs?: number } = {}): () => void {
    return followFile(this.path(taskId), offset, onChunk, options);
  }
}

export function readLines(file: string, offset: number, maxBytes: number): TaskLogChunk {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { text: '', offset: 0, nextOffset: 0, size: 0, restarted: offset > 0 };
  }
  const restarted = offset > size;
  const from = restarted ? 0 : Math.max(0, offset);
  const length = Math.min(size - from, maxBytes);
  if (length <= 0) return { text: '', offset: from, nextOffset: from, size, restarted };
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, length, from);
  } finally {
    closeSync(fd);
  }
  // Whole lines only (a half-written line is read next time); one line longer than maxBytes comes whole-cut.
  const lastNewline = buffer.lastIndexOf(0x0a);
  const end = lastNewline === -1 ? (length === maxBytes ? length : 0) : lastNewline + 1;
  return { text: buffer.subarray(0, end).toString('utf8'), offset: from, nextOffset: from + end, size, restarted };
}

function inodeOf(file: string): number | null {
  try {
    return statSync(file).ino;
  } catch {
    return null;
  }
}

export function followFile(file: string, offset: number, onChunk: (chunk: TaskLogChunk) => void, options: { pollMs?: number } = {}): () => void {
  let next = offset;
  let stopped = false;
  // A rotation replaces the file: a new inode means reading the new file from its start.
  let inode = inodeOf(file);
  const check = () => {
    if (stopped) return;
    const now = inodeOf(file);
    let replaced = false;
    if (now !== inode) {
      replaced = inode !== null && now !== null;
      if (replaced) {
        // Lines written to the old file after our last look are in the rotated file now: deliver them first.
        if (inodeOf(`${file}.1`) === inode) {
          const tail = readLines(`${file}.1`, next, Number.MAX_SAFE_INTEGER);
          if (tail.text.length > 0) onChunk(tail);
        }
        next = 0;
      }
      inode = now;
    }
    for (;;) {
      const chunk = readLines(file, next, 256 * 1024);
      if (replaced) {
        chunk.restarted = true;
        replaced = false;
      }
      if (chunk.text.length === 0 && !chunk.restarted) return;
      next = chunk.nextOffset;
      onChunk(chunk);
      if (chunk.nextOffset >= chunk.size) return;
    }
  };
  // fs.watch on the folder sees appends and the rotation's rename at once; the timer covers file systems
  // where watch says nothing (network mounts).
  let watcher: FSWatcher | null = null;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    watcher = watch(path.dirname(file), (_event, name) => {
      if (name === null || String(name).startsWith(path.basename(file))) check();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = null;
  }
  const timer = setInterval(check, options.pollMs ?? 1000);
  timer.unref?.();
  check();
  return () => {
    stopped = true;
    clearInterval(timer);
    watcher?.close();
  };
}
