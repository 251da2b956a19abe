import { useState } from 'react';
import { Checkbox } from 'react-aria-components';
import { toast } from 'sonner';
import type { ImportItem, ImportPlan, PortableConfig } from '../../../shared/portable-config.ts';
import type { AppError } from '../../../shared/result.ts';
import { Button } from '../../components/Button.tsx';
import { Dialog } from '../../components/Dialog.tsx';
import { StatusBadge, type Tone } from '../../components/StatusBadge.tsx';
import { useFleet } from '../../features/fleet/fleet-store.ts';
import { request } from '../../lib/request.ts';

// What an import would do, entry by entry, before anything is written: new entries are added, identical ones left,
// and each conflict (same name, different content) is kept as it is here unless the admin ticks it to take the file's.

const kindWords: Record<ImportItem['kind'], string> = { connection: 'NAS', task: 'Task', snapshotTask: 'Periodic snapshots' };
const statusOf: Record<ImportItem['status'], { tone: Tone; label: string }> = {
  add: { tone: 'ok', label: 'new' },
  same: { tone: 'neutral', label: 'unchanged' },
  conflict: { tone: 'warn', label: 'conflict' },
  invalid: { tone: 'fail', label: 'cannot import' },
};

export function ImportDialog({ fileName, document, plan, onClose }: { fileName: string; document: PortableConfig; plan: ImportPlan; onClose(): void }) {
  const [replace, setReplace] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | null>(null);
  const key = (item: ImportItem) => `${item.kind}:${item.name}`;
  const adds = plan.items.filter((i) => i.status === 'add').length;
  const conflicts = plan.items.filter((i) => i.status === 'conflict');

  const apply = async () => {
    setBusy(true);
    const refs = plan.items.filter((i) => replace.has(key(i))).map(({ kind, name }) => ({ kind, name }));
    const result = await request('importConfig', { document, replace: refs }, { quiet: true });
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    const written = result.value.applied.filter((a) => a.action === 'added' || a.action === 'replaced').length;
    const failed = result.value.applied.filter((a) => a.action === 'failed');
    void useFleet.getState().load();
    void useFleet.getState().loadTasks();
    if (failed.length > 0) toast.warning(`Imported ${written}; ${failed.length} could not be`, { description: failed.map((f) => `${f.name}: ${f.problem}`).join('; ') });
    else toast.success(written === 0 ? 'Nothing to import: everything is already here' : `Imported ${written} entr${written === 1 ? 'y' : 'ies'} from ${fileName}`);
    onClose();
  };

  return (
    <Dialog
      title={`Import ${fileName}`}
      description={conflicts.length > 0 ? `${conflicts.length} entr${conflicts.length === 1 ? 'y exists' : 'ies exist'} here with different content: each stays as it is unless you tick it to take the file's version.` : 'Nothing here is replaced: new entries are added, identical ones left as they are.'}
      size="large"
      busy={busy ? 'Importing…' : false}
      error={error}
      onClose={onClose}
      testId="import-dialog"
      actions={
        <>
          <Button onPress={onClose}>Cancel</Button>
          <Button variant="primary" onPress={() => void apply()} isDisabled={adds === 0 && replace.size === 0}>
            {replace.size > 0 ? `Import, replacing ${replace.size}` : `Import ${adds} new`}
          </Button>
        </>
      }
    >
      <ul className="import-list">
        {plan.items.map((item) => (
          <li key={key(item)} className="import-item">
            <StatusBadge tone={statusOf[item.status].tone}>{statusOf[item.status].label}</StatusBadge>
            <span className="import-name">
              <span className="muted">{kindWords[item.kind]}</span> {item.name}
            </span>
            {item.status === 'conflict' ? (
              <Checkbox
                className="checkbox"
                isSelected={replace.has(key(item))}
                onChange={(selected) =>
                  setReplace((current) => {
                    const next = new Set(current);
                    if (selected) next.add(key(item));
                    else next.delete(key(item));
                    return next;
                  })
                }
              >
                <span className="checkbox-box" aria-hidden="true" />
                <span>Replace (differs in {item.differences.join(', ')})</span>
              </Checkbox>
            ) : item.problem ? (
              <span className="muted">{item.problem}</span>
            ) : null}
          </li>
        ))}
      </ul>
      {plan.notes.length > 0 ? (
        <div className="import-notes">
          <strong>After importing</strong>
          <ul>
            {plan.notes.map((note) => (
              <li key={note}>{note}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </Dialog>
  );
}
