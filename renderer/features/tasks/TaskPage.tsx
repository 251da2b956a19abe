import { ArrowLeft, ArrowRight, CopyPlus, Pencil, Play, ScanSearch, Square, Stethoscope, Trash2, Undo2, Wrench, ArrowUpFromLine } from 'lucide-react';
import { useEffect } from 'react';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { Button } from '../../components/Button.tsx';
import { EmptyState } from '../../components/EmptyState.tsx';
import { ActionMenu } from '../../components/Menu.tsx';
import { StatusBadge } from '../../components/StatusBadge.tsx';
import { openDialog } from '../../lib/dialogs.ts';
import { navigate, type TaskTab } from '../../lib/navigation.ts';
import { HistoryPanel } from './HistoryPanel.tsx';
import { LogPanel } from './LogPanel.tsx';
import { DeleteTaskDialog, DoctorDialog, PromoteDialog, RepairDialog, ResetDialog } from './MaintenanceDialogs.tsx';
import { openDashboard, openRun } from './open-run.ts';
import { RunPanel } from './RunPanel.tsx';
import { stateTone } from './TaskDashboard.tsx';
import { sourcesLabel, taskStateView, transportLabel } from './task-overview.ts';
import { useTasks } from './tasks-store.ts';
import { openTaskWizard } from './wizard-entry.ts';

// One task: what it replicates where, Run now / Stop, its live (or last) run with the log streaming beside it, its
// history, and its maintenance menu (Doctor, Repair, Reset, Promote/failback, Delete).

export function TaskPage({ taskId, runId, tab }: { taskId: string; runId: string | null; tab: TaskTab }) {
  const entry = useTasks((s) => s.tasks.find((t) => t.task.id === taskId));
  const loaded = useTasks((s) => s.loaded);
  const load = useTasks((s) => s.load);
  const connections = useTasks((s) => s.connections);
  const latestRunId = useTasks((s) => s.latestRun[taskId]);
  const latest = useTasks((s) => (latestRunId ? s.runs[latestRunId] : undefined));
  const runNow = useTasks((s) => s.runNow);
  const stop = useTasks((s) => s.stop);

  useEffect(() => {
    void load();
  }, [load]);

  if (!entry) {
    return (
      <div className="view">
        <EmptyState title={loaded ? 'This task does not exist (any more)' : 'Loading the task…'} action={<Button onPress={openDashboard}>All tasks</Button>}>
          <p>{loaded ? 'It may have been deleted in another window or by the CLI.' : ''}</p>
        </EmptyState>
      </div>
    );
  }

  const task = entry.task;
  const nameOf = (id: string) => connections.find((c) => c.id === id)?.name ?? 'forgotten NAS';
  const state = taskStateView(entry, latest?.info ?? null);
  const running = latest?.info.state === 'running' ? latest : null;
  const ctx = { taskId, taskName: task.name, sourceName: nameOf(task.sourceConnectionId), destinationName: nameOf(task.destinationConnectionId) };

  const maintenance = [
    { id: 'copy', label: 'Load into wizard as a new task', icon: <CopyPlus size={16} aria-hidden="true" />, onAction: () => openTaskWizard({ mode: 'copy', taskId }) },
    { id: 'retention', label: 'Retention review', icon: <ScanSearch size={16} aria-hidden="true" />, onAction: () => navigate({ view: 'snapshots', tab: 'retention', taskId }) },
    { id: 'doctor', label: 'Doctor…', icon: <Stethoscope size={16} aria-hidden="true" />, separatorBefore: true, onAction: () => openDialog((close) => <DoctorDialog {...ctx} onClose={close} />) },
    { id: 'repair', label: 'Repair…', icon: <Wrench size={16} aria-hidden="true" />, disabled: Boolean(running), onAction: () => openDialog((close) => <RepairDialog {...ctx} onClose={close} />) },
    { id: 'reset', label: 'Reset…', icon: <Undo2 size={16} aria-hidden="true" />, disabled: Boolean(running), onAction: () => openDialog((close) => <ResetDialog {...ctx} onClose={close} />) },
    { id: 'promote', label: 'Promote / failback…', icon: <ArrowUpFromLine size={16} aria-hidden="true" />, disabled: Boolean(running), onAction: () => openDialog((close) => <PromoteDialog {...ctx} onClose={close} />) },
    {
      id: 'delete',
      label: 'Delete task…',
      icon: <Trash2 size={16} aria-hidden="true" />,
      danger: true,
      separatorBefore: true,
      disabled: Boolean(running),
      onAction: () => openDialog((close) => <DeleteTaskDialog {...ctx} task={task} onClose={close} />),
    },
  ];

  return (
    <div className="view view-wide task-page">
      <div className="task-head">
        <Button variant="ghost" icon={<ArrowLeft size={16} aria-hidden="true" />} onPress={openDashboard}>
          All tasks
        </Button>
        <div className="task-title">
          <h2 data-testid="task-title">{task.name}</h2>
          <StatusBadge tone={stateTone[state.state]}>{state.label}</StatusBadge>
        </div>
        <p className="task-route muted">
          <span>
            {ctx.sourceName}:{sourcesLabel(task)}
          </span>
          <ArrowRight size={14} aria-label="to" />
          <span>
            {ctx.destinationName}:{task.destinationParent}
          </span>
          <span>· {transportLabel(task)}</span>
          <span>· {task.schedule.kind === 'cron' ? `schedule ${task.schedule.expression}${task.schedule.timeZone ? ` (${task.schedule.timeZone})` : ' (UTC)'}` : 'run by hand'}</span>
        </p>
        <div className="toolbar task-actions">
          {running ? (
            <Button variant="danger" icon={<Square size={16} aria-hidden="true" />} onPress={() => void stop(running.info.runId)} data-testid="stop-run">
              Stop
            </Button>
          ) : (
            <Button
              variant="primary"
              icon={<Play size={16} aria-hidden="true" />}
              data-testid="run-now"
              onPress={() =>
                void runNow(taskId).then((id) => {
                  if (id) openRun(taskId, id);
                })
              }
            >
              Run now
            </Button>
          )}
          <Button icon={<Pencil size={16} aria-hidden="true" />} onPress={() => openTaskWizard({ mode: 'edit', taskId })} isDisabled={Boolean(running)}>
            Edit
          </Button>
          <ActionMenu label={`More actions for ${task.name}`} actions={maintenance} />
        </div>
      </div>
      <Tabs
        className="tabs"
        selectedKey={tab}
        onSelectionChange={(key) => navigate({ view: 'tasks', taskId, tab: key as TaskTab, ...(runId && key === 'run' ? { runId } : {}) })}
      >
        <TabList className="tab-list" aria-label="Task views">
          <Tab id="run" className="tab">
            {running ? 'Live run' : 'Run'}
          </Tab>
          <Tab id="history" className="tab">
            History
          </Tab>
        </TabList>
        <TabPanel id="run" className="tab-panel">
          <div className="run-layout">
            <RunPanel taskId={taskId} runId={runId ?? latestRunId ?? null} />
            <LogPanel taskId={taskId} />
          </div>
        </TabPanel>
        <TabPanel id="history" className="tab-panel">
          <HistoryPanel taskId={taskId} />
        </TabPanel>
      </Tabs>
    </div>
  );
}
