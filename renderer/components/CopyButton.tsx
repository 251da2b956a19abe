import { Check, Copy } from 'lucide-react';
import { useEffect, useState } from 'react';
import { Button } from './Button.tsx';

/** Copies text to the clipboard and says so for two seconds (to screen readers too, through the label change). */
export function CopyButton({ text, label = 'Copy', variant = 'ghost' }: { text: string; label?: string; variant?: 'ghost' | 'secondary' }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <Button
      variant={variant}
      icon={copied ? <Check size={15} aria-hidden="true" /> : <Copy size={15} aria-hidden="true" />}
      onPress={() => {
        void copyText(text).then((done) => setCopied(done));
      }}
    >
      {copied ? 'Copied' : label}
    </Button>
  );
}

/** The Clipboard API needs a focused, secure page; a hidden textarea and execCommand cover the rest. */
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'visually-hidden';
    document.body.append(area);
    area.select();
    const done = document.execCommand('copy');
    area.remove();
    return done;
  }
}

/** A command or configuration line the admin runs or pastes elsewhere, with its own copy button. */
export function CommandLine({ command, label }: { command: string; label?: string }) {
  return (
    <div className="command-line">
      {label ? <div className="command-label">{label}</div> : null}
      <div className="command-row">
        <code className="command-text">{command}</code>
        <CopyButton text={command} />
      </div>
    </div>
  );
}
