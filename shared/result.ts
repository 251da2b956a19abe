import { z } from 'zod';
import { DestructionChangeSchema, DestructionPlanSchema } from './destruction-plan.ts';

// Errors cross every transport (IPC, preload, WebSocket bridge) as plain data, never as thrown Error objects:
// structured clone and JSON both drop an Error's class and fields. Each code has its own `details` shape
// (errorDetailSchemas below), so the UI's error handlers read typed fields: a host-key mismatch always carries
// { host, expected, presented }, a refusal the exact list and its digest, a bad request the fields at fault.

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

export const HostKeyInfoSchema = z.object({
  /** e.g. "ssh-ed25519". */
  type: z.string(),
  /** e.g. "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", as ssh-keygen -lf prints it. */
  sha256: z.string(),
});

/**
 * One field the request got wrong: `path` as zod reports it (["sources", 0, "name"]); [] for the request as a whole.
 * A task refused as a whole (shared/task-schemas.ts) also names the field as text and the value found there.
 */
export const FieldIssueSchema = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
  /** e.g. "sources[0].name". */
  field: z.string().optional(),
  /** The value found (strings cut; never a secret). */
  value: z.unknown().optional(),
});
export type FieldIssue = z.output<typeof FieldIssueSchema>;

/** The remote command a failure came from (as logged: redacted), how it ended, the last lines of its stderr. */
export const RemoteCommandDetailsSchema = z.object({
  command: z.string(),
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().optional(),
  stderr: z.string().optional(),
  timeoutMs: z.number().optional(),
});

/** The command ran but printed something the parser does not understand. */
const UnexpectedOutputDetailsSchema = z.object({ command: z.string(), lineNumber: z.number().int(), line: z.string() });

/** A connection from this app that failed before any command ran. */
const ConnectionDetailsSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  /** The underlying library's words, for the log and "copy details". */
  cause: z.string(),
  /** ECONNREFUSED, ENOTFOUND... when the OS said why. */
  errno: z.string().optional(),
  reason: z.enum(['KEY_PASSPHRASE_REQUIRED', 'KEY_UNREADABLE']).optional(),
});

/** The app's own key material could not be used (electron/services/ssh/ssh-credentials.ts). */
const CredentialDetailsSchema = z.object({
  reason: z.enum(['KEY_UNREADABLE', 'KEY_FILE_MISSING', 'KEY_FILE_PERMISSIONS', 'KEY_PASSPHRASE_REQUIRED', 'KEY_PASSPHRASE_WRONG', 'APP_KEY_MISSING', 'AGENT_MISSING']),
  keyPath: z.string().optional(),
  /** The file's mode, e.g. "644", when it is too open. */
  mode: z.string().optional(),
});

/**
 * Host-key failures. `via: 'app'`: this app's own connection (or the key exchange reading the NAS's keys) met a
 * key other than the pinned one, or none is pinned yet: the fingerprint dialog confirms it for `connectionId`.
 * `via: 'nas'`: ssh running on one NAS towards another refused (direct replication): the NAS-to-NAS key exchange
 * fixes it; what ssh printed is in the command fields.
 */
const HostKeyMismatchDetailsSchema = z.discriminatedUnion('via', [
  z.object({
    via: z.literal('app'),
    host: z.string(),
    port: z.number().int().nullable(),
    connectionId: z.string().nullable(),
    /** The pinned key, or the fingerprint the admin confirmed (its type unknown then). */
    expected: HostKeyInfoSchema.extend({ type: z.string().nullable() }),
    presented: HostKeyInfoSchema,
    /** Every key the NAS has in /etc/ssh, when the key exchange read them (none matched the pin). */
    found: z.array(HostKeyInfoSchema).optional(),
  }),
  RemoteCommandDetailsSchema.extend({
    via: z.literal('nas'),
    host: z.string().nullable(),
    expected: z.null(),
    presented: HostKeyInfoSchema.nullable(),
  }),
]);
const HostKeyUnconfirmedDetailsSchema = z.discriminatedUnion('via', [
  z.object({
    via: z.literal('app'),
    host: z.string(),
    port: z.number().int().nullable(),
    connectionId: z.string().nullable(),
    /** null when the NAS showed no key we could read: probe it (probeHostKey) before confirming. */
    presented: HostKeyInfoSchema.nullable(),
  }),
  RemoteCommandDetailsSchema.extend({ via: z.literal('nas'), host: z.string().nullable(), presented: z.null() }),
]);

const command = RemoteCommandDetailsSchema.optional();

/** A file or folder of the app's own (settings, secrets, logs) at fault, and why (e.g. "missing", "not-a-folder", an errno). */
const FileDetailsSchema = z.object({ path: z.string(), reason: z.string().optional() });

/** The details each error code carries. `undefined`: none. */
export const errorDetailSchemas = {
  /** Always set (the dispatcher and AppFailure fill it): the UI marks these fields in place. */
  INVALID_REQUEST: z.object({
    issues: z.array(FieldIssueSchema),
    /** The run needs this value, asked for this run only (never stored): the UI asks for it and runs again. */
    needs: z.enum(['destinationKey']).optional(),
    /** A file or folder of the app's own at fault (not a field of the request). */
    path: z.string().optional(),
    reason: z.string().optional(),
    /** A value refused by a naming rule outside a request's fields (shared/zfs-names.ts): which kind, and the value. */
    kind: z.enum(['pool', 'dataset', 'snapshot', 'bookmark', 'hold-tag', 'property', 'property-value', 'host', 'user']).optional(),
    value: z.unknown().optional(),
    /** The property a refused value was for. */
    property: z.string().optional(),
    /** A task's field at fault, as text (e.g. "selection.pattern"). */
    field: z.string().optional(),
    /** A refused naming schema (cut to 300 characters). */
    pattern: z.string().optional(),
  }),
  UNKNOWN_VERB: z.undefined(),
  FORBIDDEN: z.undefined(),
  NOT_FOUND: FileDetailsSchema.optional(),
  /** `promoted`: the replica that was promoted (failover), which replication must not overwrite. */
  CONFLICT: z.union([RemoteCommandDetailsSchema, z.object({ promoted: z.string() })]).optional(),
  STORE_CORRUPT: FileDetailsSchema.optional(),
  TRANSPORT_CLOSED: z.undefined(),
  TIMEOUT: command,
  INTERNAL: z.undefined(),
  HOST_UNREACHABLE: z.union([ConnectionDetailsSchema, RemoteCommandDetailsSchema]).optional(),
  AUTH_FAILED: z.union([ConnectionDetailsSchema, CredentialDetailsSchema, RemoteCommandDetailsSchema]).optional(),
  HOST_KEY_UNCONFIRMED: HostKeyUnconfirmedDetailsSchema,
  HOST_KEY_MISMATCH: HostKeyMismatchDetailsSchema,
  /** The line to add to sudoers (on the NAS) so the login user may run zfs and zpool without a password. */
  SUDO_PASSWORD_REQUIRED: RemoteCommandDetailsSchema.extend({ username: z.string().nullable(), sudoersLine: z.string() }),
  PERMISSION_DENIED: z.union([RemoteCommandDetailsSchema, FileDetailsSchema]).optional(),
  /** `os`: the NAS's uname, when zfs/zpool were looked for and not found. */
  COMMAND_NOT_FOUND: z.union([RemoteCommandDetailsSchema, z.object({ os: z.string() })]).optional(),
  DATASET_NOT_FOUND: command,
  DATASET_EXISTS: command,
  /** The full pool and the dataset being received, when a transfer ran out of space (the run resumes once freed). */
  NO_SPACE: z.union([RemoteCommandDetailsSchema.partial({ command: true }).extend({ pool: z.string(), dataset: z.string() }), RemoteCommandDetailsSchema]).optional(),
  BUSY: command,
  INVALID_NAME: z.union([z.object({ kind: z.enum(['pool', 'dataset', 'snapshot', 'bookmark', 'hold-tag', 'property']), name: z.string() }), RemoteCommandDetailsSchema]).optional(),
  /** What the NAS runs: OpenZFS userland and kernel versions, or the raw `zfs version` output when unreadable. */
  UNSUPPORTED_VERSION: z
    .union([RemoteCommandDetailsSchema, z.object({ userland: z.string(), kernel: z.string().nullable() }), z.object({ versionOutput: z.array(z.string()) })])
    .optional(),
  /**
   * What proceeding would do, for the one confirmation dialog: `destroys` lists exactly what goes (full names),
   * `actions` everything the operation does in order; pass `confirmation` back to proceed with exactly this.
   */
  CONFIRMATION_REQUIRED: z.object({
    /** null: what was confirmed is gone or changed beyond a new list; plan the action again. */
    confirmation: z.string().nullable(),
    destroys: z.array(z.string()),
    actions: z.array(z.string()),
    /** Bytes freed (or written data discarded), when ZFS says. */
    reclaimBytes: z.number().nullable().optional(),
    /** Snapshots refused because something needs them (a hold, a task's last common snapshot): why each one. */
    protections: z
      .array(z.object({ snapshot: z.string(), kind: z.enum(['hold', 'last-common', 'other']), reason: z.string(), holdTags: z.array(z.string()).optional() }))
      .optional(),
    /** The engine's destruction plan: every operation and item with its GUID, size and why it goes. */
    plan: DestructionPlanSchema.optional(),
    /** What changed on the NAS since the confirmation was given (checked right before acting). */
    changes: z.array(DestructionChangeSchema).optional(),
  }),
  REMOTE_COMMAND_FAILED: z.union([RemoteCommandDetailsSchema, UnexpectedOutputDetailsSchema]).optional(),
  CANCELLED: command,
} as const satisfies Record<AppErrorCode, z.ZodType>;

export type ErrorDetails<C extends AppErrorCode> = z.output<(typeof errorDetailSchemas)[C]>;

/** Codes whose details are always present. */
type DetailedCode = { [C in AppErrorCode]: undefined extends ErrorDetails<C> ? never : C }[AppErrorCode];

type AppErrorOf<C extends AppErrorCode> = {
  code: C;
  /** What went wrong, in words an admin understands. */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** A transfer failed and ZFS kept what arrived: the next run resumes it (zfs send -t). */
  resumable?: boolean;
} & (C extends DetailedCode ? { details: ErrorDetails<C> } : { details?: ErrorDetails<C> });

/** A failure as plain data, discriminated by its code (switch on `code` to read typed details). */
export type AppError = { [C in AppErrorCode]: AppErrorOf<C> }[AppErrorCode];

/** The same, checked: every code's details by its schema. */
export const AppErrorSchema = z.discriminatedUnion(
  'code',
  appErrorCodes.map((code) =>
    z.object({ code: z.literal(code), message: z.string(), hint: z.string().optional(), resumable: z.boolean().optional(), details: errorDetailSchemas[code] }),
  ) as unknown as [
    z.ZodObject<{ code: z.ZodLiteral<AppErrorCode> }>,
  ],
) as unknown as z.ZodType<AppError>;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Details a code may be built without: INVALID_REQUEST fills its issues from the message. */
type DetailsArgument<C extends AppErrorCode> = C extends 'INVALID_REQUEST'
  ? [details?: Partial<ErrorDetails<C>>]
  : C extends DetailedCode
    ? [details: ErrorDetails<C>]
    : [details?: ErrorDetails<C>];

function appError<C extends AppErrorCode>(code: C, message: string, hint: string | undefined, details: unknown): AppError {
  const filled =
    code === 'INVALID_REQUEST'
      ? { ...(details as object | undefined), issues: (details as { issues?: FieldIssue[] } | undefined)?.issues ?? [{ path: (details as { needs?: string } | undefined)?.needs ? [(details as { needs: string }).needs] : [], message }] }
      : details;
  return { code, message, ...(hint === undefined ? {} : { hint }), ...(filled === undefined ? {} : { details: filled }) } as AppError;
}

export function fail<C extends AppErrorCode>(code: C, message: string, hint?: string, ...details: DetailsArgument<C>): Result<never> {
  return { ok: false, error: appError(code, message, hint, details[0]) };
}

/** Thrown inside services; the dispatcher turns it into a failed Result with the same code. */
export class AppFailure<C extends AppErrorCode = AppErrorCode> extends Error {
  readonly appError: AppError;
  constructor(code: C, message: string, hint?: string, ...details: DetailsArgument<C>) {
    super(message);
    this.name = 'AppFailure';
    this.appError = appError(code, message, hint, details[0]);
  }

  /** The same failure rebuilt from its plain data (e.g. a Result that crossed a transport). */
  static from(error: AppError): AppFailure {
    const failure = new AppFailure('INTERNAL', error.message);
    (failure as { appError: AppError }).appError = error;
    return failure;
  }

  get code(): AppErrorCode {
    return this.appError.code;
  }

  /** The same failure (code, details) told differently, e.g. with what an interrupted transfer left behind. */
  reworded(message: string, hint: string | undefined, flags: { resumable?: boolean } = {}): AppFailure {
    const { hint: _oldHint, ...rest } = this.appError;
    return AppFailure.from({ ...rest, message, ...(hint === undefined ? {} : { hint }), ...flags } as AppError);
  }
}

/** The stderr a remote command failed with, when the failure came from one ('' otherwise). */
export function stderrOf(error: AppFailure | AppError): string {
  const details = (error instanceof AppFailure ? error.appError : error).details;
  return details !== undefined && 'stderr' in details ? (details.stderr ?? '') : '';
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
