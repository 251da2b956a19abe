import path from 'node:path';
import pino, { type Logger } from 'pino';
import { toAppError } from '../../../shared/result.ts';
import type { RemoteCommandRecord } from '../ssh/ssh-command-runner.ts';
import { RotatingFile } from './task-log.ts';

// The application log: one JSON object per line (pino), in <data folder>/logs/app.log, rotated by size. The same
// code in Electron, the bridge and the CLI (each line names its program and pid); every remote command is in it
// with its name, duration, exit status and redacted stderr (recorded by the ssh runner, the one place commands run).

export interface AppLogOptions {
  /** "app", "bridge", "cli": which program wrote a line. */
  program: string;
  /** Default 'debug': every remote command is a debug line. */
  level?: 'debug' | 'info' | 'warn' | 'error';
  /** Default 5 MiB per file, 3 rotated files kept. */
  maxBytes?: number;
  keep?: number;
}

export interface AppLog {
  readonly path: string;
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** One remote command as the ssh runner saw it (already redacted). */
  command(record: RemoteCommandRecord): void;
  /** An unexpected error (a bug): its code, message and stack, so a report can be made from the log. */
  failure(where: string, error: unknown): void;
}

export const appLogFileName = 'app.log';

/** Secrets never reach the log by construction; these paths are blanked again as a second line of defence. */
const redactPaths = ['password', 'passphrase', 'destinationKey', 'key', '*.password', '*.passphrase', '*.destinationKey', '*.key'];

export function openAppLog(logDir: string, options: AppLogOptions): AppLog {
  const file = new RotatingFile(path.join(logDir, appLogFileName), { maxBytes: options.maxBytes ?? 5 * 1024 * 1024, keep: options.keep ?? 3 });
  const destination = {
    write: (line: string) => {
      try {
        file.append(line);
      } catch {
        // A full disk or a removed folder must never stop the app; the log is best effort.
      }
    },
  };
  const logger: Logger = pino(
    {
      level: options.level ?? 'debug',
      base: { program: options.program, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    path: file.path,
    debug: (message, fields = {}) => logger.debug(fields, message),
    info: (message, fields = {}) => logger.info(fields, message),
    warn: (message, fields = {}) => logger.warn(fields, message),
    error: (message, fields = {}) => logger.error(fields, message),
    command: (record) => {
      const fields = { event: 'command', ...record };
      const message = `${record.connection} $ ${record.name} -> ${record.outcome === 'ok' ? `exit ${record.exitCode}` : record.outcome} (${record.durationMs} ms)`;
      if (record.outcome === 'ok') logger.debug(fields, message);
      else logger.warn(fields, message);
    },
    failure: (where, error) => {
      const appError = toAppError(error);
      logger.error({ event: 'failure', where, code: appError.code, stack: error instanceof Error ? error.stack : undefined }, `${where}: ${appError.message}`);
    },
  };
}

/** For tests and for code that has no data folder: logs nothing. */
export const silentAppLog: AppLog = {
  path: '',
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  command: () => undefined,
  failure: () => undefined,
};
