import { Search } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Input, SearchField } from 'react-aria-components';
import type { AppError } from '../../../shared/result.ts';
import type { RunRecord } from '../../../shared/task-schemas.ts';
import { Button } from '../../components/Button.tsx';
import { CopyButton } from '../../components/CopyButton.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { formatDateTime } from '../../lib/format.ts';
import { LogLines } from './LogPanel.tsx';
import { formatLine, linesOfRun, searchLines, type TaskLogLine } from './task-log-lines.ts';
import { useTaskLog } from './task-log-store.ts';

/** A past run's log: its lines cut from the task's log file, searchable and copyable. */
export function RunLogDialog({ taskId, taskName, run, onClose }: { taskId: string; taskName: string; run: RunRecord; onClose(): void }) {
  const readAll = useTaskLog((s) => s.readAll);
  const [lines, setLines] = useState<TaskLogLine[] | null>(null);
  const [path, setPath] = useState<string | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [query, setQuery] = useState('');

  useEffect(() => {
    let live = true;
    void readAll(taskId).then((result) => {
      if (!live) return;
      if ('code' in result) setError(result);
      else {
        setLines(linesOfRun(result.lines, run));
        setPath(result.path);
      }
    });
    return () => {
      live = false;
    };
  }, [readAll, taskId, run]);

  const shown = useMemo(() => searchLines(lines ?? [], query), [lines, query]);
  return (
    <Dialog
      title={`Log of the run of ${formatDateTime(run.startedAt)}`}
      description={`${taskName}: ${run.result}${run.error ? ` — ${run.error.message}` : ''}`}
      size="wide"
      onClose={onClose}
      busy={lines === null && !error ? 'Reading the log…' : false}
      error={error}
      testId="run-log-dialog"
      actions={
        <>
          <CopyButton text={shown.map(formatLine).join('\n')} label="Copy" variant="secondary" />
          <Button variant="primary" onPress={onClose}>
            Close
          </Button>
        </>
      }
    >
      <SearchField className="field search-field" value={query} onChange={setQuery} aria-label="Search this run's log">
        <Search size={16} aria-hidden="true" className="search-icon" />
        <Input className="input" placeholder="Search" />
      </SearchField>
      {lines !== null ? <LogLines lines={shown} label="The run's log" testId="run-log" /> : null}
      {lines !== null && lines.length === 0 ? (
        <p className="muted">This run's lines are no longer in the current log file (it is rotated at 2 MiB; older files sit beside it as .log.1 to .log.3).</p>
      ) : null}
      {path ? (
        <p className="muted">
          From <code>{path}</code>
        </p>
      ) : null}
    </Dialog>
  );
}
