import { openDialog } from '../../lib/dialogs.ts';
import { useFleet } from './fleet-store.ts';
import { NasDialog } from './NasDialog.tsx';

// "Add a NAS" from another screen (the task wizard): the fleet's own add-and-test flow as a dialog over it; when it
// closes, `onClosed` gets the NAS that was added (null when none was), so the caller can pick it and carry on.

export function openAddNasDialog(onClosed?: (added: { id: string; name: string } | null) => void): void {
  const before = new Set(useFleet.getState().connections.map((c) => c.id));
  openDialog(
    (close) => (
      <NasDialog
        connection={null}
        onClose={() => {
          close();
          const added = useFleet.getState().connections.find((c) => !before.has(c.id)) ?? null;
          onClosed?.(added ? { id: added.id, name: added.name } : null);
        }}
      />
    ),
    { key: 'new-connection' },
  );
}
