import { create } from 'zustand';
import type { EventPayload, VerbRequest, VerbResponse } from '../../../shared/contract.ts';
import type { AppError } from '../../../shared/result.ts';
import type { Connection, ConnectionInput } from '../../../shared/schemas.ts';
import { onEvent } from '../../lib/event-stream.ts';
import { reportError } from '../../lib/error-chain.ts';
import { request, type RequestOptions } from '../../lib/request.ts';

// The fleet slice: saved NAS connections, the live status of each (the overview), the tasks that use each NAS,
// and the running pre-flight tests and key exchanges (checklists fed by events). Views read it through selectors;
// the actions below are the only way it changes.

export type NasStatus = VerbResponse<'nasStatus'>;
export type PreflightReport = VerbResponse<'preflightConnection'>;
export type TaskEntry = VerbResponse<'listTasks'>[number];
type PreflightStep = EventPayload<'preflightStep'>;
type KeyStep = EventPayload<'keyExchangeStep'>;

export interface StatusEntry {
  /** loading: a request is out (a previous result, if any, stays shown). */
  loading: boolean;
  status: NasStatus | null;
  error: AppError | null;
  /** When the last answer (status or error) arrived. */
  at: string | null;
}

export interface PreflightRun {
  running: boolean;
  /** Live states from preflightStep events, by check id. */
  live: Record<string, { state: PreflightStep['state']; detail?: string }>;
  report: PreflightReport | null;
  error: AppError | null;
}

export interface KeyStepState {
  step: string;
  status: KeyStep['status'];
  detail?: string;
}

interface FleetState {
  connections: Connection[];
  loaded: boolean;
  /** Why the list could not be loaded (the view says so instead of "No NAS yet"). */
  loadError: AppError | null;
  statuses: Record<string, StatusEntry>;
  tasks: TaskEntry[];
  preflight: Record<string, PreflightRun>;
  /** keyExchangeStep events by connection id, in arrival order (the key setup and trust checklists). */
  keySteps: Record<string, KeyStepState[]>;

  load(): Promise<void>;
  loadTasks(): Promise<void>;
  refreshStatus(connectionId: string): Promise<void>;
  refreshAll(): Promise<void>;
  save(input: ConnectionInput, options?: RequestOptions): Promise<Connection | null>;
  remove(connectionId: string): Promise<boolean>;
  probeHostKey(connectionId: string): Promise<VerbResponse<'probeHostKey'> | AppError>;
  confirmHostKey(connectionId: string, sha256: string): Promise<AppError | null>;
  runPreflight(connectionId: string): Promise<PreflightReport | null>;
  clearKeySteps(connectionId: string): void;
  installKey(connectionId: string, password: string): Promise<VerbResponse<'installAppKey'> | AppError>;
  removeKey(connectionId: string): Promise<VerbResponse<'removeAppKey'> | AppError>;
  establishTrust(request: VerbRequest<'establishNasTrust'>): Promise<VerbResponse<'establishNasTrust'> | AppError>;
  removeTrust(sourceConnectionId: string, destinationConnectionId: string, bothDirections: boolean): Promise<VerbResponse<'removeNasTrust'> | AppError>;
}

const emptyStatus: StatusEntry = { loading: false, status: null, error: null, at: null };

export const useFleet = create<FleetState>((set, get) => ({
  connections: [],
  loaded: false,
  loadError: null,
  statuses: {},
  tasks: [],
  preflight: {},
  keySteps: {},

  load: async () => {
    const result = await request('listConnections', {}, { action: 'Load the saved NAS', quiet: true });
    if (result.ok) set({ connections: result.value, loaded: true, loadError: null });
    else set({ loadError: result.error });
    void get().loadTasks();
  },

  loadTasks: async () => {
    const result = await request('listTasks', {}, { quiet: true });
    if (result.ok) set({ tasks: result.value });
  },

  refreshStatus: async (connectionId) => {
    set((s) => ({ statuses: { ...s.statuses, [connectionId]: { ...(s.statuses[connectionId] ?? emptyStatus), loading: true } } }));
    // Quiet: an unreachable NAS says why on its own card, and never blocks or interrupts the others.
    const result = await request('nasStatus', { connectionId }, { quiet: true, connectionId });
    const at = new Date().toISOString();
    set((s) => ({
      statuses: {
        ...s.statuses,
        [connectionId]: result.ok ? { loading: false, status: result.value, error: null, at } : { loading: false, status: s.statuses[connectionId]?.status ?? null, error: result.error, at },
      },
    }));
  },

  refreshAll: async () => {
    void get().loadTasks();
    await Promise.all(get().connections.map((c) => get().refreshStatus(c.id)));
  },

  save: async (input, options = {}) => {
    const context = { action: input.id ? 'Save the NAS' : 'Add the NAS', ...options };
    const result = await request('saveConnection', input, { ...context, quiet: true });
    if (!result.ok) {
      // A name another NAS already has is a problem of the name field; everything else goes down the chain.
      const placed = result.error.code === 'CONFLICT' && options.setFieldErrors?.([{ path: ['name'], message: `${result.error.message} ${result.error.hint ?? ''}`.trim() }]);
      if (!placed) reportError(result.error, context);
      return null;
    }
    const saved = result.value;
    set((s) => ({ connections: [...s.connections.filter((c) => c.id !== saved.id), saved] }));
    return saved;
  },

  remove: async (connectionId) => {
    const result = await request('removeConnection', { id: connectionId }, { action: 'Forget the NAS' });
    if (!result.ok) return false;
    set((s) => {
      const { [connectionId]: _status, ...statuses } = s.statuses;
      return { connections: s.connections.filter((c) => c.id !== connectionId), statuses };
    });
    return true;
  },

  probeHostKey: async (connectionId) => {
    const result = await request('probeHostKey', { connectionId }, { quiet: true, connectionId });
    return result.ok ? result.value : result.error;
  },

  confirmHostKey: async (connectionId, sha256) => {
    const result = await request('confirmHostKey', { connectionId, sha256 }, { quiet: true, connectionId });
    if (!result.ok) return result.error;
    const saved = result.value;
    set((s) => ({ connections: s.connections.map((c) => (c.id === saved.id ? saved : c)) }));
    return null;
  },

  runPreflight: async (connectionId) => {
    set((s) => ({ preflight: { ...s.preflight, [connectionId]: { running: true, live: {}, report: null, error: null } } }));
    const result = await request('preflightConnection', { connectionId }, { quiet: true, connectionId });
    set((s) => ({
      preflight: {
        ...s.preflight,
        [connectionId]: { running: false, live: s.preflight[connectionId]?.live ?? {}, report: result.ok ? result.value : null, error: result.ok ? null : result.error },
      },
    }));
    if (result.ok) void get().refreshStatus(connectionId);
    return result.ok ? result.value : null;
  },

  clearKeySteps: (connectionId) => set((s) => ({ keySteps: { ...s.keySteps, [connectionId]: [] } })),

  installKey: async (connectionId, password) => {
    get().clearKeySteps(connectionId);
    const result = await request('installAppKey', { connectionId, password }, { quiet: true, connectionId });
    if (result.ok) void get().refreshStatus(connectionId);
    return result.ok ? result.value : result.error;
  },

  removeKey: async (connectionId) => {
    const result = await request('removeAppKey', { connectionId }, { quiet: true, connectionId });
    if (result.ok) void get().refreshStatus(connectionId);
    return result.ok ? result.value : result.error;
  },

  establishTrust: async (trust) => {
    get().clearKeySteps(trust.sourceConnectionId);
    get().clearKeySteps(trust.destinationConnectionId);
    const result = await request('establishNasTrust', trust, { quiet: true });
    return result.ok ? result.value : result.error;
  },

  removeTrust: async (sourceConnectionId, destinationConnectionId, bothDirections) => {
    get().clearKeySteps(sourceConnectionId);
    get().clearKeySteps(destinationConnectionId);
    const result = await request('removeNasTrust', { sourceConnectionId, destinationConnectionId, bothDirections }, { quiet: true });
    return result.ok ? result.value : result.error;
  },
}));

// The app's one event subscription delivers these whichever view is open.
onEvent('connectionsChanged', ({ connections }) => useFleet.setState({ connections, loaded: true, loadError: null }));

onEvent('preflightStep', (step) =>
  useFleet.setState((s) => {
    const run = s.preflight[step.connectionId] ?? { running: true, live: {}, report: null, error: null };
    return { preflight: { ...s.preflight, [step.connectionId]: { ...run, live: { ...run.live, [step.check]: { state: step.state, ...(step.detail === undefined ? {} : { detail: step.detail }) } } } } };
  }),
);

onEvent('keyExchangeStep', (step) =>
  useFleet.setState((s) => {
    const steps = s.keySteps[step.connectionId] ?? [];
    const index = steps.findIndex((existing) => existing.step === step.step);
    const entry: KeyStepState = { step: step.step, status: step.status, ...(step.detail === undefined ? {} : { detail: step.detail }) };
    const next = index >= 0 ? steps.map((existing, i) => (i === index ? entry : existing)) : [...steps, entry];
    return { keySteps: { ...s.keySteps, [step.connectionId]: next } };
  }),
);

onEvent('status', () => void useFleet.getState().loadTasks());

export { tasksOf, worstTaskState } from './task-summary.ts';
