import { useMemo, useState } from 'react';
import { checkCronExpression, cronSchedule, describeCron } from '../../../shared/cron-schedule.ts';
import { checkNamingSchema, namingSchema } from '../../../shared/naming-schema.ts';
import type { AppError } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { PeriodicSnapshotTaskDraftSchema, type PeriodicSnapshotTask } from '../../../shared/task-schemas.ts';
import { formatInZone, isTimeZone, localTimeZone } from '../../../shared/time-zone.ts';
import { Button } from '../../components/Button.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { Picker } from '../../components/Picker.tsx';
import { request } from '../../lib/request.ts';
import { draftOf, PolicyEditor, policyOf, type PolicyDraft } from '../retention/PolicyEditor.tsx';

// Create or edit a periodic snapshot task: dataset, recursive, excludes, naming schema (with the name it makes now,
// live), schedule in cron with its time zone (in plain English, with the next runs), and the retention policy.
// The contract's schema checks the whole task on save; its sentences show at the fields.

export function SnapshotTaskDialog({ task, connections, onClose, onSaved }: { task: PeriodicSnapshotTask | null; connections: Connection[]; onClose(): void; onSaved(): void }) {
  const [connectionId, setConnectionId] = useState<string | null>(task?.connectionId ?? connections[0]?.id ?? null);
  const [dataset, setDataset] = useState(task?.dataset ?? '');
  const [recursive, setRecursive] = useState(task?.recursive ?? true);
  const [exclude, setExclude] = useState((task?.exclude ?? []).join(', '));
  const [schema, setSchema] = useState(task?.namingSchema ?? 'auto-%Y-%m-%d_%H-%M');
  const [timeZone, setTimeZone] = useState(task?.timeZone ?? localTimeZone());
  const [expression, setExpression] = useState(task?.schedule.kind === 'cron' ? task.schedule.expression : '0 * * * *');
  const [manual, setManual] = useState(task?.schedule.kind === 'manual');
  const [policyDraft, setPolicyDraft] = useState<PolicyDraft>(draftOf(task?.lifetime ?? { kind: 'custom', amount: 2, unit: 'weeks' }));
  const [issues, setIssues] = useState<Record<string, string>>({});
  const [error, setError] = useState<AppError | null>(null);
  const [busy, setBusy] = useState(false);

  const zoneOk = isTimeZone(timeZone);
  const schemaProblem = checkNamingSchema(schema)[0]?.message ?? null;
  const example = useMemo(() => (schemaProblem || !zoneOk ? null : namingSchema(schema, timeZone).format(new Date())), [schema, timeZone, schemaProblem, zoneOk]);
  const cronProblem = manual ? null : checkCronExpression(expression, zoneOk ? timeZone : 'UTC');
  const nextRuns = useMemo(() => {
    if (manual || cronProblem || !zoneOk) return [];
    try {
      return cronSchedule(expression, timeZone).nextRuns(3, new Date());
    } catch {
      return [];
    }
  }, [manual, cronProblem, zoneOk, expression, timeZone]);
  const policy = policyOf(policyDraft);

  const save = async () => {
    const draft = {
      ...(task ? { id: task.id } : {}),
      connectionId: connectionId ?? '',
      dataset: dataset.trim(),
      recursive,
      exclude: exclude.split(',').map((e) => e.trim()).filter(Boolean),
      namingSchema: schema,
      timeZone,
      schedule: manual ? { kind: 'manual' as const } : { kind: 'cron' as const, expression: expression.trim(), timeZone },
      lifetime: 'policy' in policy ? policy.policy : { kind: 'forever' as const },
    };
    const parsed = PeriodicSnapshotTaskDraftSchema.safeParse(draft);
    if (!parsed.success || 'error' in policy) {
      const found: Record<string, string> = {};
      for (const issue of parsed.success ? [] : parsed.error.issues) found[String(issue.path[0] ?? 'form')] ??= issue.message;
      if ('error' in policy) found.lifetime = policy.error;
      setIssues(found);
      return;
    }
    setIssues({});
    setBusy(true);
    const result = await request('saveSnapshotTask', parsed.data, { quiet: true });
    setBusy(false);
    if (!result.ok) return setError(result.error);
    onSaved();
    onClose();
  };

  const fieldError = (key: string) => (issues[key] ? <span className="field-error">{issues[key]}</span> : null);
  return (
    <Dialog
      title={task ? 'Edit periodic snapshot task' : 'New periodic snapshot task'}
      size="large"
      onClose={onClose}
      busy={busy ? 'Saving…' : false}
      error={error}
      testId="snapshot-task-dialog"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
      actions={
        <>
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">
            Save
          </Button>
        </>
      }
    >
      <Picker label="NAS" options={connections.map((c) => ({ id: c.id, label: c.name }))} value={connectionId} onChange={setConnectionId} error={issues.connectionId ?? null} />
      <label className="field">
        <span className="field-label">Dataset</span>
        <input className="input" value={dataset} onChange={(e) => setDataset(e.target.value)} placeholder="tank/docs" aria-invalid={issues.dataset ? true : undefined} />
        {fieldError('dataset')}
      </label>
      <label className="checkbox-row">
        <input type="checkbox" checked={recursive} onChange={(e) => setRecursive(e.target.checked)} /> Recursive: also every dataset below (one atomic snapshot)
      </label>
      {recursive ? (
        <label className="field">
          <span className="field-label">Exclude (datasets below, comma-separated)</span>
          <input className="input" value={exclude} onChange={(e) => setExclude(e.target.value)} placeholder="tank/docs/scratch" />
          {fieldError('exclude')}
        </label>
      ) : null}
      <div className="input-row top-aligned">
        <label className="field">
          <span className="field-label">Naming schema</span>
          <input className="input" value={schema} onChange={(e) => setSchema(e.target.value)} aria-invalid={schemaProblem ? true : undefined} />
          <span className={schemaProblem ? 'field-error' : 'field-description'} data-testid="schema-example">
            {schemaProblem ?? (example ? `Now it would be named ${dataset || '<dataset>'}@${example}` : '')}
          </span>
        </label>
        <label className="field">
          <span className="field-label">Time zone (names and schedule)</span>
          <input className="input" value={timeZone} onChange={(e) => setTimeZone(e.target.value)} aria-invalid={zoneOk ? undefined : true} />
          {zoneOk ? null : <span className="field-error">Not a time zone name: use an IANA name such as Europe/Paris or UTC.</span>}
        </label>
      </div>
      <label className="checkbox-row">
        <input type="checkbox" checked={manual} onChange={(e) => setManual(e.target.checked)} /> Only when started by hand (no schedule)
      </label>
      {manual ? null : (
        <label className="field">
          <span className="field-label">Schedule (cron: minute hour day-of-month month day-of-week)</span>
          <input className="input" value={expression} onChange={(e) => setExpression(e.target.value)} aria-invalid={cronProblem ? true : undefined} />
          <span className={cronProblem ? 'field-error' : 'field-description'} data-testid="cron-words">
            {cronProblem ?? `${describeCron(expression)}; next: ${nextRuns.map((d) => formatInZone(d.getTime(), timeZone)).join(', ')}`}
          </span>
          {fieldError('schedule')}
        </label>
      )}
      <PolicyEditor draft={policyDraft} onChange={setPolicyDraft} error={'error' in policy ? policy.error : (issues.lifetime ?? null)} />
    </Dialog>
  );
}
