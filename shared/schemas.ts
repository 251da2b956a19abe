import { z } from 'zod';
import { holdTagProblem, hostProblem, snapshotShortNameProblem, sshUserProblem, textProblem, zfsNameProblem, zfsPropertyNameProblem, zfsPropertyValueProblem } from './zfs-names.ts';

// Plain-data shapes shared by main, renderer, bridge and CLI. Validation lives here so every entry point
// (IPC, WebSocket, CLI, the store file) rejects the same bad input with the same message.
//
// Every value that reaches a NAS is checked by the rule functions of shared/zfs-names.ts, the same ones the zfs
// layer and the ssh argv builders apply right before a command runs: what a schema accepts, a run accepts.
// The rules live in refinements (not .regex/.max) so that they never throw whatever the input's size (each rule
// checks the length first), and so the settings file's JSON Schema (electron/services/store) does not carry them:
// a bad value in a hand-edited file is refused by name when it is used, not by losing the whole file.

/**
 * A string schema checked by one of the rule functions (a sentence when the value is bad, null when it is good).
 * trim: surrounding spaces are dropped first (typed input), and the rule sees the trimmed value.
 */
export function ruleString(rule: (value: string) => string | null, options: { trim?: boolean } = {}): z.ZodString {
  const base = options.trim ? z.string().trim() : z.string();
  return base.superRefine((value, context) => {
    const problem = rule(value);
    if (problem !== null) context.addIssue({ code: 'custom', message: problem, input: value });
  });
}

/** A DNS name, IPv4 or bracket-less IPv6 literal. No spaces, no shell metacharacters, no leading '-'. */
export const HostSchema = ruleString(hostProblem, { trim: true });

export const PortSchema = z.number().int().min(1).max(65535);

/** POSIX user names as sshd accepts them; a leading '-' would read as an option to ssh. */
export const UsernameSchema = ruleString(sshUserProblem);

/** A dataset ("pool/path"), as typed: surrounding spaces dropped, then the OpenZFS naming rules. */
export const DatasetNameSchema = ruleString((name) => (name === '' ? 'Enter a dataset, e.g. tank/data.' : zfsNameProblem('dataset', name)), { trim: true });

/** A full snapshot name, "pool/path@name". */
export const SnapshotNameSchema = ruleString((name) => zfsNameProblem('snapshot', name));

/** The part after "@" on its own. */
export const SnapshotShortNameSchema = ruleString(snapshotShortNameProblem);

export const PropertyNameSchema = ruleString(zfsPropertyNameProblem);

export const PropertyValueSchema = ruleString((value) => zfsPropertyValueProblem(value));

export const HoldTagSchema = ruleString(holdTagProblem);

/** A name shown in lists and logs (connections, tasks): trimmed, 1 to 64 characters, no control characters. */
export function displayNameSchema(what: string, emptyMessage: string): z.ZodString {
  return z
    .string()
    .trim()
    .min(1, emptyMessage)
    .max(64)
    .superRefine((name, context) => {
      const problem = textProblem(what, name);
      if (problem !== null) context.addIssue({ code: 'custom', message: problem, input: name });
    });
}

export const AuthSchema = z.discriminatedUnion('kind', [
  /** The app's own ed25519 key, generated and installed by the guided key exchange. */
  z.object({ kind: z.literal('app-key') }),
  /** An existing OpenSSH private key file on this computer. */
  z.object({
    kind: z.literal('key-file'),
    keyPath: ruleString((keyPath) => (keyPath === '' ? 'Enter the path of the private key file.' : keyPath.length > 4096 ? 'The key path is longer than 4096 characters.' : textProblem('Key path', keyPath))),
  }),
  z.object({ kind: z.literal('agent') }),
]);

/** How zfs runs on the NAS: as root, through `sudo -n` (TrueNAS "Use Sudo for ZFS Commands"), or delegated by `zfs allow`. */
export const PrivilegeSchema = z.enum(['root', 'sudo', 'delegated']);

export const PinnedHostKeySchema = z.object({
  type: z.string(),
  sha256: z.string(),
  pinnedAt: z.string(),
});

export const ConnectionInputSchema = z.object({
  /** Absent when creating; present when editing. */
  id: z.string().uuid().optional(),
  name: displayNameSchema('Connection name', 'Give the connection a name.'),
  host: HostSchema,
  port: PortSchema.default(22),
  username: UsernameSchema.default('root'),
  auth: AuthSchema.default({ kind: 'app-key' }),
  privilege: PrivilegeSchema.default('root'),
  /** Overrides Settings.connectTimeoutSeconds for this NAS (a slow link, a NAS that wakes its disks first). */
  connectTimeoutSeconds: z.number().int().min(3).max(300).optional(),
});

export const ConnectionSchema = ConnectionInputSchema.extend({
  id: z.string().uuid(),
  hostKey: PinnedHostKeySchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const ThemeSchema = z.enum(['system', 'light', 'dark']);

export const SettingsSchema = z.object({
  theme: ThemeSchema,
  connectTimeoutSeconds: z.number().int().min(3).max(300),
  /** Closing the window hides it to the tray; schedules keep running (opt-in). */
  closeToTray: z.boolean(),
  /** Start the app (hidden, in the tray) when the user logs in (opt-in). */
  startAtLogin: z.boolean(),
  /** Desktop notifications: a run failed, the first success after a failure, a replica later than its schedule. */
  notifications: z.boolean(),
  /**
   * No scheduled run starts while set, in whichever process runs the schedules (the app, the bridge or the daemon:
   * they share this file); runs started by hand still start. Missed times are not made up when it is cleared.
   */
  schedulesPaused: z.boolean(),
});

export const defaultSettings: Settings = { theme: 'system', connectTimeoutSeconds: 20, closeToTray: false, startAtLogin: false, notifications: true, schedulesPaused: false };

export type ConnectionInput = z.input<typeof ConnectionInputSchema>;
export type Connection = z.infer<typeof ConnectionSchema>;
export type Settings = z.infer<typeof SettingsSchema>;
export type Theme = z.infer<typeof ThemeSchema>;
