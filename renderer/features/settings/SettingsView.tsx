import { Monitor, Moon, Sun } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Input, Label, Radio, RadioGroup, Text, TextField, FieldError } from 'react-aria-components';
import { SettingsSchema, type Theme } from '../../../shared/schemas.ts';
import { plainErrorMap } from '../../../shared/validation-messages.ts';
import { Button } from '../../components/Button.tsx';
import { useSettings } from './settings-store.ts';

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
    </div>
  );
}
