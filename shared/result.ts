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
  // Remote (ssh / zfs) failures, mapped from connection errors and stderr by the command runner.
  'HOST_UNREACHABLE',
  'AUTH_FAILED',
  'HOST_KEY_UNCONFIRMED',
  'HOST_KEY_MISMATCH',
  'SUDO_PASSWORD_REQUIRED',
  'PERMISSION_DENIED',
  'COMMAND_NOT_FOUND',
  'DATASET_NOT_FOUND',
  'DATASET_EXISTS',
  'NO_SPACE',
  'BUSY',
  'INVALID_NAME',
  'UNSUPPORTED_VERSION',
  'CONFIRMATION_REQUIRED',
  'REMOTE_COMMAND_FAILED',
  'CANCELLED',
] as const;

export type AppErrorCode = (typeof appErrorCodes)[number];

export interface AppError {
  code: AppErrorCode;
  /** What went wrong, in words an admin understands. */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** Plain data the UI needs to act on the error (e.g. the fingerprints of a changed host key). */
  details?: Record<string, unknown>;
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
  constructor(code: AppErrorCode, message: string, hint?: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppFailure';
    this.appError = { code, message, ...(hint === undefined ? {} : { hint }), ...(details === undefined ? {} : { details }) };
  }

  get code(): AppErrorCode {
    return this.appError.code;
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
