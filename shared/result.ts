// Errors cross every transport (IPC, preload, WebSocket bridge) as plain data, never as thrown Error objects:
// structured clone and JSON both drop an Error's class and fields.

export const appErrorCodes = [
  'INVALID_REQUEST',
  'UNKNOWN_VERB',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'STORE_CORRUPT',
  'TRANSPORT_CLOSED',
  'TIMEOUT',
  'INTERNAL',
] as const;

export type AppErrorCode = (typeof appErrorCodes)[number];

export interface AppError {
  code: AppErrorCode;
  /** What went wrong, in words an admin understands. */
  message: string;
  /** What to do about it. */
  hint?: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: AppErrorCode, message: string, hint?: string): Result<T> {
  return { ok: false, error: hint === undefined ? { code, message } : { code, message, hint } };
}

/** Thrown inside services; the dispatcher turns it into a failed Result with the same code. */
export class AppFailure extends Error {
  readonly appError: AppError;
  constructor(code: AppErrorCode, message: string, hint?: string) {
    super(message);
    this.name = 'AppFailure';
    this.appError = hint === undefined ? { code, message } : { code, message, hint };
  }
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppFailure) return error.appError;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: 'INTERNAL',
    message: `Unexpected error: ${message}`,
    hint: 'This is a bug. The app log has the details; please report it.',
  };
}
