import { z } from 'zod';
import type { Result } from './result.ts';
import { ConnectionInputSchema, ConnectionSchema, SettingsSchema } from './schemas.ts';

// The one contract between the renderer and the main process. Electron IPC, the preload bridge and the
// loopback WebSocket bridge are all generated from these two tables: adding a verb here is the whole job
// on the transport side (the handler lives in electron/services/app-services.ts).

interface VerbSpec {
  request: z.ZodType;
  response: z.ZodType;
  summary: string;
}

const verb = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res, summary: string) =>
  ({ request, response, summary }) satisfies VerbSpec;

const Empty = z.object({}).strict();

export const VersionInfoSchema = z.object({
  app: z.string(),
  node: z.string(),
  electron: z.string().nullable(),
  chrome: z.string().nullable(),
  platform: z.string(),
  transport: z.enum(['electron', 'bridge']),
});

export const StoreStatusSchema = z.object({
  path: z.string(),
  /** Set when the store file was unreadable at start: where the damaged file was moved to. */
  recoveredFrom: z.string().nullable(),
  message: z.string().nullable(),
});

export const verbs = {
  ping: verb(
    z.object({ message: z.string().max(1000) }),
    z.object({ message: z.string(), receivedAt: z.string() }),
    'Echo a message: proves a transport round trip.',
  ),
  getVersion: verb(Empty, VersionInfoSchema, 'Versions of the app and its runtime, and which transport serves it.'),
  getStoreStatus: verb(Empty, StoreStatusSchema, 'Where settings live, and whether a damaged store was set aside at start.'),
  getSettings: verb(Empty, SettingsSchema, 'Read the app settings.'),
  updateSettings: verb(SettingsSchema.partial().strict(), SettingsSchema, 'Change some settings; returns all of them.'),
  listConnections: verb(Empty, z.array(ConnectionSchema), 'Saved NAS connections.'),
  saveConnection: verb(ConnectionInputSchema, ConnectionSchema, 'Create a NAS connection, or update one when id is given.'),
  removeConnection: verb(
    z.object({ id: z.string().uuid() }).strict(),
    z.object({ removed: z.boolean() }),
    'Forget a saved NAS connection (nothing on the NAS is touched).',
  ),
} as const;

export const LogLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);

export const TaskStateSchema = z.enum(['PENDING', 'RUNNING', 'FINISHED', 'FAILED']);

export const events = {
  log: z.object({
    at: z.string(),
    level: LogLevelSchema,
    source: z.string(),
    message: z.string(),
    taskId: z.string().optional(),
  }),
  progress: z.object({
    taskId: z.string(),
    dataset: z.string(),
    bytesSent: z.number().nonnegative(),
    bytesTotal: z.number().nonnegative().nullable(),
    bytesPerSecond: z.number().nonnegative(),
    etaSeconds: z.number().nonnegative().nullable(),
  }),
  status: z.object({
    taskId: z.string(),
    state: TaskStateSchema,
    detail: z.string().optional(),
  }),
  connectionsChanged: z.object({ connections: z.array(ConnectionSchema) }),
  settingsChanged: SettingsSchema,
} as const;

export type Verbs = typeof verbs;
export type VerbName = keyof Verbs;
export type EventName = keyof typeof events;
/** What a caller may send (defaults not yet applied). */
export type VerbRequest<K extends VerbName> = z.input<Verbs[K]['request']>;
/** What a handler receives (validated, defaults applied). */
export type VerbParsedRequest<K extends VerbName> = z.output<Verbs[K]['request']>;
export type VerbResponse<K extends VerbName> = z.output<Verbs[K]['response']>;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export const verbNames = Object.keys(verbs) as VerbName[];
export const eventNames = Object.keys(events) as EventName[];

export function isVerbName(name: unknown): name is VerbName {
  return typeof name === 'string' && Object.hasOwn(verbs, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** IPC channel names; prefixed so our handlers never collide with Electron's or a library's. */
export const verbChannel = (name: VerbName) => `zrd:verb:${name}`;
export const eventChannel = (name: EventName) => `zrd:event:${name}`;

export type EventListener<E extends EventName> = (payload: EventPayload<E>) => void;

/** window.api, as the preload exposes it and as the WebSocket client imitates it. */
export type Api = {
  [K in VerbName]: (request: VerbRequest<K>) => Promise<Result<VerbResponse<K>>>;
} & {
  on<E extends EventName>(event: E, listener: EventListener<E>): () => void;
};

/** Messages of the loopback WebSocket bridge. */
export type BridgeClientMessage = { id: number; verb: string; request: unknown };
export type BridgeServerMessage =
  | { id: number; result: Result<unknown> }
  | { event: EventName; payload: unknown };

/** Sub-protocol names the bridge accepts; the token rides in the second one (a browser cannot set headers). */
export const bridgeProtocol = 'zrd.v1';
export const bridgeTokenPrefix = 'token.';
