import { z } from 'zod';

// Plain-data shapes shared by main, renderer, bridge and CLI. Validation lives here so every entry point
// (IPC, WebSocket, CLI, the store file) rejects the same bad input with the same message.

/** A DNS name, IPv4 or bracket-less IPv6 literal. No spaces, no shell metacharacters, no leading '-'. */
const hostPattern = /^(?!-)[A-Za-z0-9.:%_-]{1,253}$/;

export const HostSchema = z
  .string()
  .trim()
  .regex(hostPattern, 'Host must be a DNS name or an IP address (letters, digits, ".", "-", ":"), not starting with "-".');

export const PortSchema = z.number().int().min(1).max(65535);

/** POSIX user names as sshd accepts them; a leading '-' would read as an option to ssh. */
export const UsernameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'User name must start with a letter or "_" and hold only letters, digits, "_", "." or "-".');

export const AuthSchema = z.discriminatedUnion('kind', [
  /** The app's own ed25519 key, generated and installed by the guided key exchange. */
  z.object({ kind: z.literal('app-key') }),
  /** An existing OpenSSH private key file on this computer. */
  z.object({ kind: z.literal('key-file'), keyPath: z.string().min(1) }),
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
  name: z.string().trim().min(1, 'Give the connection a name.').max(64),
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
