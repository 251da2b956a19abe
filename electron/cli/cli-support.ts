import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { VerbName, VerbRequest, VerbResponse } from '../../shared/contract.ts';
import { AppFailure, toAppError, type AppError } from '../../shared/result.ts';
import type { Core } from '../services/core.ts';
import { appVersion } from '../services/runtime-versions.ts';
import { existingConfigDirProblem } from '../services/store/config-dir.ts';
import { openConfStore } from '../services/store/open-conf-store.ts';
import { packageRoot } from './package-root.ts';

// What every CLI command shares: exit codes, error printing, the one core per process (the same createCore as the
// app and the bridge; every command goes through its verbs), and the terminal (prompts, stdin) behind an interface
// the unit tests replace.

export const exitCodes = {
  ok: 0,
  failed: 1,
  usage: 2,
  /** The destination diverged, or an import has conflicts: re-run with the decision after reading the list. */
  confirmationRequired: 3,
  /** Another run of the task holds its lock. */
  busy: 4,
} as const;

export interface Output {
  json: boolean;
  verbose: boolean;
}

export function printError(error: AppError, output: Output, io: Pick<CliIo, 'out' | 'err'> = processIo()): void {
  if (output.json) io.out(JSON.stringify({ ok: false, error }));
  else io.err(`error: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}`);
}

export function exitCodeOf(error: AppError): number {
  if (error.code === 'CONFIRMATION_REQUIRED') return exitCodes.confirmationRequired;
  if (error.code === 'BUSY') return exitCodes.busy;
  if (error.code === 'INVALID_REQUEST' || error.code === 'NOT_FOUND' || error.code === 'INVALID_NAME' || error.code === 'CONFLICT') return exitCodes.usage;
  return exitCodes.failed;
}

/** A verb through the core's dispatcher (request checked against the contract); a failure is thrown as it came. */
export async function invoke<K extends VerbName>(core: Core, verb: K, request: VerbRequest<K>): Promise<VerbResponse<K>> {
  const result = await core.call(verb, request);
  if (!result.ok) throw new AppFailure(result.error.code, result.error.message, result.error.hint, result.error.details);
  return result.value as VerbResponse<K>;
}

/**
 * The CLI's one core (the same createCore as the app and the bridge), loaded and built on first use: `list`, `log`
 * and `watch` need none, and skip loading the engine, ssh and the logger (a CLI start is paid by every cron run).
 * `by` says who starts runs ("cli", "daemon").
 */
export function coreOpener(configDir: string, store: ReturnType<typeof openConfStore>, by = 'cli'): { get(): Promise<Core>; dispose(): Promise<void> } {
  let core: Core | null = null;
  return {
    get: async () => {
      if (core) return core;
      const { createCore } = await import('../services/core.ts');
      core ??= createCore({
        store,
        configDir,
        by,
        versions: { app: appVersion(path.join(packageRoot(), 'package.json')), node: process.versions.node, electron: null, chrome: null, platform: process.platform, transport: 'cli' },
      });
      return core;
    },
    dispose: async () => {
      await core?.dispose();
    },
  };
}

/** The terminal, as the commands use it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** stdin is a terminal (a person can answer a prompt). */
  interactive: boolean;
  /** Asks a question on the terminal and returns the line typed. */
  ask(question: string): Promise<string>;
  /** Asks for a secret without echoing it. */
  askSecret(question: string): Promise<string>;
  /** The first line of stdin (a password piped in), without its line end. */
  readStdinLine(): Promise<string>;
}

export function processIo(): CliIo {
  return {
    out: (text) => console.log(text),
    err: (text) => console.error(text),
    interactive: process.stdin.isTTY === true,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      try {
        return await new Promise<string>((resolve) => rl.question(question, resolve));
      } finally {
        rl.close();
      }
    },
    askSecret: async (question) => {
      // The prompt goes to stderr; what is typed is not echoed.
      process.stderr.write(question);
      const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
      const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
      try {
        return await new Promise<string>((resolve) => rl.question('', resolve));
      } finally {
        rl.close();
        process.stderr.write('\n');
      }
    },
    readStdinLine: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) {
        chunks.push(chunk as Buffer);
        if ((chunk as Buffer).includes(0x0a)) break;
      }
      return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    },
  };
}

/** What a command group gets from the dispatcher. */
export interface CliEnvironment {
  configDir: string;
  io: CliIo;
  /**
   * The core over this settings folder. `create`: make the folder when it does not exist (commands that write
   * settings, like `connection add` and `import`); otherwise a missing folder is an error (exit 2) naming it.
   */
  openCore(options?: { create?: boolean; by?: string }): Promise<Core>;
}

export function cliEnvironment(configDir: string, io: CliIo = processIo()): CliEnvironment & { dispose(): Promise<void> } {
  let opened: { get(): Promise<Core>; dispose(): Promise<void> } | null = null;
  return {
    configDir,
    io,
    async openCore(options = {}) {
      if (opened) return opened.get();
      if (!options.create) {
        const problem = existingConfigDirProblem(configDir);
        if (problem) throw problem;
      }
      const store = openConfStore(configDir);
      for (const message of store.warnings) io.err(`warning: ${message}`);
      opened = coreOpener(configDir, store, options.by ?? 'cli');
      return opened.get();
    },
    dispose: async () => {
      await opened?.dispose();
    },
  };
}

/** Runs a command body: an AppFailure (or any error) becomes its message, hint and exit code; never a stack trace. */
export async function withErrors(output: Output, io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const appError = toAppError(error);
    printError(appError, output, io);
    return exitCodeOf(appError);
  }
}

/** A usage error: the message, then the command's usage. */
export function usageError(io: CliIo, message: string, usage: string): number {
  io.err(`${message}\n\n${usage}`);
  return exitCodes.usage;
}
