import { Search } from 'lucide-react';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Input, SearchField } from 'react-aria-components';
import { CopyButton } from '../../components/CopyButton.tsx';
import { ErrorNotice } from '../../components/ErrorNotice.tsx';
import { formatBytes } from '../../lib/format.ts';
import { formatLine, searchLines, type TaskLogLine } from './task-log-lines.ts';
import { useTaskLog } from './task-log-store.ts';

// The task's log file, streaming: every line any process writes (this window's runs, the CLI, the daemon) as it
// is written. Searchable (every word must occur), copyable (what is shown), and it follows the end unless the
// admin scrolled up to read.

export function LogLines({ lines, label, testId }: { lines: readonly TaskLogLine[]; label: string; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <div
      ref={ref}
      className="log-lines"
      role="log"
      aria-label={label}
      tabIndex={0}
      {...(testId ? { 'data-testid': testId } : {})}
      onScroll={(event) => {
        const el = event.currentTarget;
        atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {lines.length === 0 ? <p className="muted">No lines.</p> : null}
      {lines.map((line) => (
        <div key={line.n} className={`log-line level-${line.level}`}>
          <time className="log-time" dateTime={line.at}>
            {line.at ? line.at.slice(11, 19) : ''}
          </time>
          <span className="log-level">{line.level.toUpperCase()}</span>
          <span className="log-message">{line.message}</span>
        </div>
      ))}
    </div>
  );
}

export function LogPanel({ taskId }: { taskId: string }) {
  const followed = useTaskLog((s) => (s.followed?.taskId === taskId ? s.followed : null));
  const follow = useTaskLog((s) => s.follow);
  const unfollow = useTaskLog((s) => s.unfollow);
  const [query, setQuery] = useState('');

  useEffect(() => {
    void follow(taskId);
    return () => void unfollow(taskId);
  }, [taskId, follow, unfollow]);

  const shown = useMemo(() => searchLines(followed?.lines ?? [], query), [followed?.lines, query]);
  return (
    <section className="panel log-panel" aria-label="Task log">
      <div className="log-toolbar">
        <h3>Log</h3>
        <SearchField className="field search-field" value={query} onChange={setQuery} aria-label="Search the log">
          <Search size={16} aria-hidden="true" className="search-icon" />
          <Input className="input" placeholder="Search the log" />
        </SearchField>
        <CopyButton text={shown.map(formatLine).join('\n')} label={query ? 'Copy matches' : 'Copy'} />
      </div>
      {followed?.error ? <ErrorNotice error={followed.error} compact /> : null}
      <LogLines lines={shown} label="Task log, newest last" testId="task-log" />
      <p className="muted log-foot">
        {followed?.loading ? 'Loading…' : `${shown.length}${query ? ` of ${followed?.lines.length ?? 0}` : ''} lines`}
        {followed && followed.skippedBytes > 0 ? ` · ${formatBytes(followed.skippedBytes)} of older lines not loaded` : ''}
        {followed?.path ? (
          <>
            {' · '}
            <code>{followed.path}</code>
          </>
        ) : null}
      </p>
    </section>
  );
}
