import { create } from 'zustand';
import type { Settings } from '../../../shared/schemas.ts';
import { onEvent } from '../../lib/event-stream.ts';
import { request } from '../../lib/request.ts';

interface SettingsState {
  settings: Settings | null;
  load(): Promise<void>;
  update(patch: Partial<Settings>): Promise<boolean>;
}

export const useSettings = create<SettingsState>((set) => ({
  settings: null,
  load: async () => {
    const result = await request('getSettings', {}, { action: 'Load the settings' });
    if (result.ok) set({ settings: result.value });
  },
  update: async (patch) => {
    const result = await request('updateSettings', patch, { action: 'Change the settings' });
    if (result.ok) set({ settings: result.value });
    return result.ok;
  },
}));

// Another window (or the CLI through the bridge) changed them.
onEvent('settingsChanged', (settings) => useSettings.setState({ settings }));
