import { Monitor, Moon, Sun } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Checkbox, Input, Label, Radio, RadioGroup, Text, TextField, FieldError } from 'react-aria-components';
import { SettingsSchema, type Theme } from '../../../shared/schemas.ts';
import { plainErrorMap } from '../../../shared/validation-messages.ts';
import { Button } from '../../components/Button.tsx';
import { useSettings } from './settings-store.ts';

/** The desktop's opt-in behaviours and the shared pause of schedules, each a checkbox with what it does. */
const desktopChoices: ReadonlyArray<{ key: 'closeToTray' | 'startAtLogin' | 'notifications' | 'schedulesPaused'; label: string; description: string }> = [
  { key: 'notifications', label: 'Notifications', description: 'Say when a run fails (with what to do), when a task works again, and when a replica is later than its schedule allows.' },
  { key: 'closeToTray', label: 'Keep running in the tray when the window is closed', description: 'Schedules go on; the tray shows running tasks and opens the window again. (Desktop app.)' },
  { key: 'startAtLogin', label: 'Start at login', description: 'The app starts in the tray, without a window, when you log in. (Desktop app.)' },
  { key: 'schedulesPaused', label: 'Pause schedules', description: 'No scheduled run starts, in this app or in a zfs-replication daemon using these settings; runs by hand still do. Missed times are not made up.' },
];

const themeChoices: { value: Theme; label: string; icon: React.ReactNode }[] = [
  { value: 'system', label: 'Same as the system', icon: <Monitor size={16} aria-hidden="true" /> },
  { value: 'light', label: 'Light', icon: <Sun size={16} aria-hidden="true" /> },
  { value: 'dark', label: 'Dark', icon: <Moon size={16} aria-hidden="true" /> },
];

const timeoutSchema = SettingsSchema.shape.connectTimeoutSeconds;

export function SettingsView() {
  const settings = useSettings((s) => s.settings);
  const update = useSettings((s) => s.update);
  const [timeout, setTimeoutText] = useState('');
  const [timeoutError, setTimeoutError] = useState<string | null>(null);
  useEffect(() => {
    if (settings) setTimeoutText(String(settings.connectTimeoutSeconds));
  }, [settings]);
  if (!settings) return <p className="muted">Loading settings…</p>;

  const saveTimeout = () => {
    const parsed = timeoutSchema.safeParse(timeout.trim() === '' ? undefined : Number(timeout), { error: plainErrorMap });
    if (!parsed.success) {
      setTimeoutError(parsed.error.issues[0]?.message ?? 'This value is not valid.');
      return;
    }
    setTimeoutError(null);
    void update({ connectTimeoutSeconds: parsed.data });
  };

  return (
    <div className="view view-narrow">
      <section className="panel" aria-labelledby="appearance-heading">
        <h2 id="appearance-heading">Appearance</h2>
        <RadioGroup className="field" value={settings.theme} onChange={(value) => void update({ theme: value as Theme })} orientation="horizontal">
          <Label className="field-label">Theme</Label>
          <div className="segmented">
            {themeChoices.map((choice) => (
              <Radio key={choice.value} value={choice.value} className="segment">
                {choice.icon}
                <span>{choice.label}</span>
              </Radio>
            ))}
          </div>
          <Text slot="description" className="field-description">
            "Same as the system" switches with your desktop's light or dark mode.
          </Text>
        </RadioGroup>
      </section>
      <section className="panel" aria-labelledby="connections-heading">
        <h2 id="connections-heading">Connections</h2>
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            saveTimeout();
          }}
        >
          <TextField className="field field-short" value={timeout} onChange={setTimeoutText} isInvalid={timeoutError !== null} validationBehavior="aria">
            <Label className="field-label">Connect timeout (seconds)</Label>
            <div className="input-row">
              <Input className="input" inputMode="numeric" />
              <Button type="submit">Save</Button>
            </div>
            <Text slot="description" className="field-description">
              How long to wait for a NAS to answer before saying it is unreachable (3 to 300). Raise it for slow links.
            </Text>
            <FieldError className="field-error">{timeoutError}</FieldError>
          </TextField>
        </form>
      </section>
      <section className="panel" aria-labelledby="desktop-heading">
        <h2 id="desktop-heading">Desktop and schedules</h2>
        {desktopChoices.map((choice) => (
          <div key={choice.key} className="field">
            <Checkbox className="checkbox" isSelected={settings[choice.key]} onChange={(selected) => void update({ [choice.key]: selected })} data-testid={`setting-${choice.key}`}>
              <span className="checkbox-box" aria-hidden="true" />
              <span>{choice.label}</span>
            </Checkbox>
            <p className="field-description">{choice.description}</p>
          </div>
        ))}
      </section>
    </div>
  );
}
