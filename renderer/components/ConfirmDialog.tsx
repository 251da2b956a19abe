import { TriangleAlert } from 'lucide-react';
import { useState, type ReactNode } from 'react';
import { Input, Label, TextField } from 'react-aria-components';
import type { AppError } from '../../shared/result.ts';
import type { ConfirmItem } from '../lib/confirmation-items.ts';
import { Button } from './Button.tsx';
import { Dialog } from './Dialog.tsx';

// The one confirmation for destructive actions (never window.confirm): it names the action, lists EXACTLY what
// goes — every dataset, snapshot or line, with its size when known — says what stays, and puts the safe choice
// (Cancel) first and focused. For the largest destroys the admin types a word to enable the button.

export type { ConfirmItem };

export interface ConfirmDialogProps {
  title: string;
  /** One or two sentences: what happens and whether it can be undone. */
  message: ReactNode;
  /** Exactly what goes. An empty list shows "nothing" and still asks. */
  items: readonly ConfirmItem[];
  /** Heading of the list, e.g. "These snapshots will be destroyed". */
  itemsLabel?: string;
  /** What is NOT touched, to reassure. */
  keeps?: ReactNode;
  /** The button, naming the action: "Destroy 3 snapshots", "Forget nas-a". */
  confirmLabel: string;
  /** Require typing this (e.g. the dataset name) before the button works. */
  typeToConfirm?: string;
  /** Resolves when done; the dialog closes on success. Throwing or returning false keeps it open. */
  onConfirm(): Promise<boolean | void> | boolean | void;
  onClose(): void;
  busy?: boolean | string;
  error?: AppError | null;
  tone?: 'danger' | 'default';
}

export function ConfirmDialog(props: ConfirmDialogProps) {
  const { items, typeToConfirm, tone = 'danger' } = props;
  const [typed, setTyped] = useState('');
  const [running, setRunning] = useState(false);
  const busy = props.busy ?? running;
  const ready = typeToConfirm === undefined || typed.trim() === typeToConfirm;

  const confirm = async () => {
    if (!ready || busy) return;
    setRunning(true);
    try {
      const outcome = await props.onConfirm();
      if (outcome !== false) props.onClose();
    } finally {
      setRunning(false);
    }
  };

  return (
    <Dialog
      title={props.title}
      role="alertdialog"
      tone={tone}
      size="medium"
      onClose={props.onClose}
      busy={busy}
      error={props.error ?? null}
      testId="confirm-dialog"
      actions={
        <>
          <Button autoFocus onPress={props.onClose} isDisabled={Boolean(busy)}>
            Cancel
          </Button>
          <Button variant={tone === 'danger' ? 'danger' : 'primary'} onPress={() => void confirm()} isDisabled={!ready} isPending={Boolean(busy)}>
            {props.confirmLabel}
          </Button>
        </>
      }
    >
      <div className="confirm-message">
        {tone === 'danger' ? <TriangleAlert className="confirm-icon" size={20} aria-hidden="true" /> : null}
        <div>{props.message}</div>
      </div>
      <section className="confirm-list" aria-label={props.itemsLabel ?? 'What this changes'}>
        <h3>
          {props.itemsLabel ?? 'What this changes'} ({items.length})
        </h3>
        {items.length === 0 ? (
          <p className="muted">Nothing.</p>
        ) : (
          <ul>
            {items.map((item) => (
              <li key={item.label}>
                <code>{item.label}</code>
                {item.detail ? <span className="muted"> — {item.detail}</span> : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      {props.keeps ? <div className="confirm-keeps">{props.keeps}</div> : null}
      {typeToConfirm !== undefined ? (
        <TextField className="field" value={typed} onChange={setTyped} autoComplete="off">
          <Label className="field-label">
            Type <code>{typeToConfirm}</code> to confirm
          </Label>
          <Input className="input" />
        </TextField>
      ) : null}
    </Dialog>
  );
}
