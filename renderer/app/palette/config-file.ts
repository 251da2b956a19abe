import { createElement } from 'react';
import { toast } from 'sonner';
import { PortableConfigSchema } from '../../../shared/portable-config.ts';
import { openDialog } from '../../lib/dialogs.ts';
import { request } from '../../lib/request.ts';
import { ImportDialog } from './ImportDialog.tsx';

// Export and import of connections and tasks from the window (the same verbs as `zfs-replication export|import`):
// the export is downloaded as a file; an imported file is planned first, and the dialog lists every conflict by
// name before anything is replaced.

export async function exportConfigFile(): Promise<void> {
  const result = await request('exportConfig', {}, { action: 'Export connections and tasks' });
  if (!result.ok) return;
  const blob = new Blob([`${JSON.stringify(result.value, null, 2)}\n`], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `zfs-replication-${result.value.exportedAt.slice(0, 10)}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  const tasks = result.value.tasks.length + result.value.snapshotTasks.length;
  toast.success(`Exported ${result.value.connections.length} NAS and ${tasks} task${tasks === 1 ? '' : 's'}`, { description: 'No private keys, passwords or encryption keys are in the file.' });
}

/** Asks for a file, checks it, plans it and opens the import dialog. */
export function pickImportFile(): Promise<void> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = 'application/json,.json';
    input.onchange = async () => {
      const file = input.files?.[0];
      if (file) await openImport(file.name, await file.text());
      resolve();
    };
    input.click();
  });
}

export async function openImport(fileName: string, text: string): Promise<void> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    toast.error(`${fileName} is not JSON`, { description: (error as Error).message });
    return;
  }
  const parsed = PortableConfigSchema.safeParse(raw);
  if (!parsed.success) {
    toast.error(`${fileName} is not an export of this app`, { description: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'file'}: ${i.message}`).join('; ') });
    return;
  }
  const plan = await request('planImport', { document: parsed.data }, { action: `Read ${fileName}` });
  if (!plan.ok) return;
  openDialog((close) => createElement(ImportDialog, { fileName, document: parsed.data, plan: plan.value, onClose: close }), { key: 'import-config' });
}
