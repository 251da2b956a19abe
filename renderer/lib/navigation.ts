import { create } from 'zustand';

// Where the app is. Features navigate by calling navigate() with a Route (data, not a component): this module
// knows no view, so features import it without importing the shell or each other; the shell (renderer/app) maps
// each route to its feature's view. A new screen adds its route here and its view in renderer/app/routes.tsx.

export type Route =
  | { view: 'fleet' }
  | { view: 'datasets'; connectionId?: string; filter?: string }
  /** The dashboard, or one task's page (taskId) on a tab; runId: the run its Run tab follows (the wizard's "Save and run now" opens it live). */
  | { view: 'tasks'; taskId?: string; runId?: string; tab?: TaskTab }
  /** The replication task wizard: open it with openWizard() (features/wizard/open-wizard.ts), which prepares it. */
  | { view: 'wizard' }
  | { view: 'snapshots'; tab?: 'list' | 'tasks' | 'retention'; connectionId?: string; dataset?: string; taskId?: string }
  | { view: 'schedule' }
  | { view: 'settings' };

export type ViewId = Route['view'];

/** The tabs of a task's page. */
export type TaskTab = 'run' | 'history';

interface NavigationState {
  route: Route;
  /** Routes visited before this one, for Back. */
  history: Route[];
  navigate(route: Route): void;
  back(): void;
}

export const useNavigation = create<NavigationState>((set, get) => ({
  route: { view: 'fleet' },
  history: [],
  navigate: (route) => {
    const current = get().route;
    if (JSON.stringify(current) === JSON.stringify(route)) return;
    set((state) => ({ route, history: [...state.history.slice(-49), current] }));
  },
  back: () => {
    const previous = get().history.at(-1);
    if (previous) set((state) => ({ route: previous, history: state.history.slice(0, -1) }));
  },
}));

export function navigate(route: Route): void {
  useNavigation.getState().navigate(route);
}
