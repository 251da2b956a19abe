import { ArrowLeftRight, CalendarClock, Camera, FolderTree, Server, Settings } from 'lucide-react';
import type { ReactNode } from 'react';
import { DatasetsView } from '../features/datasets/DatasetsView.tsx';
import { FleetView } from '../features/fleet/FleetView.tsx';
import { ScheduleView } from '../features/schedule/ScheduleView.tsx';
import { SettingsView } from '../features/settings/SettingsView.tsx';
import { SnapshotsView } from '../features/snapshots/SnapshotsView.tsx';
import { TasksView } from '../features/tasks/TasksView.tsx';
import { WizardView } from '../features/wizard/WizardView.tsx';
import type { Route, ViewId } from '../lib/navigation.ts';

// The shell's map from a route (renderer/lib/navigation.ts) to its view. Features never import this file.

export interface ViewEntry<V extends ViewId = ViewId> {
  id: V;
  label: string;
  icon: ReactNode;
  /** The sidebar places it at the bottom. */
  footer?: boolean;
  /** Not in the sidebar (reached from another screen, e.g. the task wizard). */
  hidden?: boolean;
  render(route: Extract<Route, { view: V }>): ReactNode;
}

const entry = <V extends ViewId>(e: ViewEntry<V>) => e as unknown as ViewEntry;

export const viewEntries: readonly ViewEntry[] = [
  entry({ id: 'fleet', label: 'Fleet', icon: <Server size={18} aria-hidden="true" />, render: () => <FleetView /> }),
  entry({ id: 'datasets', label: 'Datasets', icon: <FolderTree size={18} aria-hidden="true" />, render: (route) => <DatasetsView key={`${route.connectionId ?? ''}:${route.filter ?? ''}`} connectionId={route.connectionId ?? null} initialFilter={route.filter ?? ''} /> }),
  entry({ id: 'tasks', label: 'Tasks', icon: <ArrowLeftRight size={18} aria-hidden="true" />, render: (route) => <TasksView taskId={route.taskId} runId={route.runId} tab={route.tab} /> }),
  entry({ id: 'wizard', label: 'Replication task', icon: <ArrowLeftRight size={18} aria-hidden="true" />, hidden: true, render: () => <WizardView /> }),
  entry({ id: 'snapshots', label: 'Snapshots', icon: <Camera size={18} aria-hidden="true" />, render: (route) => <SnapshotsView route={route} /> }),
  entry({ id: 'schedule', label: 'Schedule', icon: <CalendarClock size={18} aria-hidden="true" />, render: () => <ScheduleView /> }),
  entry({ id: 'settings', label: 'Settings', icon: <Settings size={18} aria-hidden="true" />, footer: true, render: () => <SettingsView /> }),
];

export function viewEntryOf(route: Route): ViewEntry {
  return viewEntries.find((v) => v.id === route.view) ?? viewEntries[0]!;
}
