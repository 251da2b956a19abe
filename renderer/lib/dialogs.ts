import type { ReactNode } from 'react';
import { create } from 'zustand';

// Dialogs opened from outside a view's render tree (by an error handler, a store action, a keyboard shortcut) go on
// this stack; <DialogHost/> in the shell renders it. A dialog a view opens itself may simply be rendered by that
// view. `key` keeps one dialog per subject: the fingerprint dialog of nas-a opens once however many requests
// failed on it.

export interface OpenDialog {
  id: number;
  key: string | undefined;
  render: (close: () => void) => ReactNode;
}

interface DialogState {
  stack: OpenDialog[];
  open(render: OpenDialog['render'], options?: { key?: string }): number;
  close(id: number): void;
  closeAll(): void;
}

let nextId = 1;

export const useDialogs = create<DialogState>((set, get) => ({
  stack: [],
  open: (render, options = {}) => {
    const existing = options.key === undefined ? undefined : get().stack.find((d) => d.key === options.key);
    if (existing) return existing.id;
    const id = nextId++;
    set((state) => ({ stack: [...state.stack, { id, key: options.key, render }] }));
    return id;
  },
  close: (id) => set((state) => ({ stack: state.stack.filter((d) => d.id !== id) })),
  closeAll: () => set({ stack: [] }),
}));

/** Opens a dialog on the app's stack; `render` gets the function that closes it. */
export function openDialog(render: OpenDialog['render'], options: { key?: string } = {}): number {
  return useDialogs.getState().open(render, options);
}
