import { CircleAlert, CircleCheck, CircleDashed, CircleHelp, CircleMinus, CircleX, LoaderCircle } from 'lucide-react';
import type { ReactNode } from 'react';

// A state shown with an icon AND a word (never colour alone): ok, warning, failed, running, pending, unknown.

export type Tone = 'ok' | 'warn' | 'fail' | 'running' | 'pending' | 'neutral' | 'unknown';

const icons: Record<Tone, (size: number) => ReactNode> = {
  ok: (size) => <CircleCheck size={size} aria-hidden="true" />,
  warn: (size) => <CircleAlert size={size} aria-hidden="true" />,
  fail: (size) => <CircleX size={size} aria-hidden="true" />,
  running: (size) => <LoaderCircle className="spinner" size={size} aria-hidden="true" />,
  pending: (size) => <CircleDashed size={size} aria-hidden="true" />,
  neutral: (size) => <CircleMinus size={size} aria-hidden="true" />,
  unknown: (size) => <CircleHelp size={size} aria-hidden="true" />,
};

export function StatusIcon({ tone, size = 16 }: { tone: Tone; size?: number }) {
  return <span className={`status-icon tone-${tone}`}>{icons[tone](size)}</span>;
}

export function StatusBadge({ tone, children, title }: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge tone-${tone}`} {...(title ? { title } : {})}>
      {icons[tone](14)}
      <span>{children}</span>
    </span>
  );
}
