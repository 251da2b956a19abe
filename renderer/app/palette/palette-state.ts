import { create } from 'zustand';

// Whether the command palette is open. The menu, the tray and the keyboard shortcut open it through the
// `open-command-palette` UI command (ui-commands.ts).

interface PaletteState {
  open: boolean;
  show(): void;
  hide(): void;
  toggle(): void;
}

export const usePalette = create<PaletteState>((set) => ({
  open: false,
  show: () => set({ open: true }),
  hide: () => set({ open: false }),
  toggle: () => set((s) => ({ open: !s.open })),
}));
