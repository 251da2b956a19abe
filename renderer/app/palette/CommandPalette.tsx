import { Command } from 'cmdk';
import { useEffect, useMemo } from 'react';
import { Dialog as AriaDialog, Modal, ModalOverlay } from 'react-aria-components';
import { useShallow } from 'zustand/react/shallow';
import { useDatasets } from '../../features/datasets/datasets-store.ts';
import { useFleet } from '../../features/fleet/fleet-store.ts';
import { useSettings } from '../../features/settings/settings-store.ts';
import { paletteItems, paletteScore, type PaletteItem } from './palette-items.ts';
import { usePalette } from './palette-state.ts';
import { performPaletteAction } from './palette-store.ts';

// Ctrl/Cmd+K: jump to a view, a NAS, a task or a dataset, run or stop a task, and the menu's commands. cmdk does the
// filtering and the keyboard (arrows, Enter); react-aria's modal traps focus and restores it, as every dialog here.

const groups: ReadonlyArray<PaletteItem['group']> = ['Go to', 'Tasks', 'NAS', 'Datasets', 'Actions'];
const mac = typeof navigator !== 'undefined' && /Mac/i.test(navigator.platform);

export function CommandPalette() {
  const open = usePalette((s) => s.open);
  const hide = usePalette((s) => s.hide);
  const connections = useFleet((s) => s.connections);
  const tasks = useFleet((s) => s.tasks);
  const loadFleet = useFleet((s) => s.load);
  const loadTasks = useFleet((s) => s.loadTasks);
  const datasets = useDatasets(useShallow((s) => Object.fromEntries(Object.entries(s.byConnection).map(([id, listing]) => [id, listing.datasets]))));
  const schedulesPaused = useSettings((s) => s.settings?.schedulesPaused ?? false);

  useEffect(() => {
    if (!open) return;
    // Fresh lists each time it opens (cheap: saved settings, no NAS round trip).
    void loadFleet();
    void loadTasks();
  }, [open, loadFleet, loadTasks]);

  const items = useMemo(() => paletteItems({ connections, tasks, datasets, schedulesPaused, mac }), [connections, tasks, datasets, schedulesPaused]);
  const byId = useMemo(() => new Map(items.map((item) => [item.id, item])), [items]);
  if (!open) return null;
  const filter = (value: string, search: string) => {
    const item = byId.get(value);
    return item ? paletteScore(item.label, item.keywords, search) : 0;
  };

  const choose = (item: PaletteItem) => {
    hide();
    void performPaletteAction(item.action);
  };
  return (
    <ModalOverlay isOpen isDismissable onOpenChange={(isOpen) => !isOpen && hide()} className="modal-overlay palette-overlay">
      <Modal className="modal modal-medium palette-modal">
        <AriaDialog aria-label="Command palette" className="palette" data-testid="command-palette">
          <Command label="Command palette" loop filter={filter}>
            <Command.Input autoFocus placeholder="Jump to a NAS, task or dataset, or run a command…" className="palette-input" />
            <Command.List className="palette-list">
              <Command.Empty className="palette-empty">Nothing matches.</Command.Empty>
              {groups.map((group) => {
                const inGroup = items.filter((item) => item.group === group);
                if (inGroup.length === 0) return null;
                return (
                  <Command.Group key={group} heading={group} className="palette-group">
                    {inGroup.map((item) => (
                      <Command.Item key={item.id} value={item.id} onSelect={() => choose(item)} className="palette-item" data-testid={`palette-${item.id}`}>
                        <span className="palette-label">{item.label}</span>
                        {item.group === 'Datasets' ? <span className="palette-hint muted">{item.keywords[0]}</span> : null}
                        {item.shortcut ? <kbd className="palette-shortcut">{item.shortcut}</kbd> : null}
                      </Command.Item>
                    ))}
                  </Command.Group>
                );
              })}
            </Command.List>
          </Command>
        </AriaDialog>
      </Modal>
    </ModalOverlay>
  );
}
