import type { ReactNode } from 'react';
import { StatusIcon, type Tone } from './StatusBadge.tsx';

// A list of steps with their state — the pre-flight test, the key setup, NAS-to-NAS trust, later Doctor. Each step
// says what it checks, what it found, and, when it failed, what to do (with any commands to copy) and the buttons
// that act on it. It is a live region: a screen reader hears steps finish.

export type StepState = 'pending' | 'running' | 'done' | 'warn' | 'failed' | 'skipped' | 'action';

export interface ChecklistStep {
  id: string;
  title: string;
  state: StepState;
  /** What the step found ("Logged in as root in 412 ms"). */
  detail?: ReactNode;
  /** The fix, when failed or in need of an action: a sentence, commands to copy, buttons. */
  fix?: ReactNode;
}

const toneOf: Record<StepState, Tone> = {
  pending: 'pending',
  running: 'running',
  done: 'ok',
  warn: 'warn',
  failed: 'fail',
  skipped: 'neutral',
  action: 'warn',
};

const stateWords: Record<StepState, string> = {
  pending: 'Not started',
  running: 'Running',
  done: 'Passed',
  warn: 'Warning',
  failed: 'Failed',
  skipped: 'Skipped',
  action: 'Needs you',
};

export function Checklist({ steps, label }: { steps: readonly ChecklistStep[]; label: string }) {
  return (
    <ol className="checklist" aria-label={label} aria-live="polite">
      {steps.map((step) => (
        <li key={step.id} className={`check check-${step.state}`} data-step={step.id} data-state={step.state}>
          <StatusIcon tone={toneOf[step.state]} size={18} />
          <div className="check-body">
            <div className="check-title">
              <span>{step.title}</span>
              <span className="visually-hidden">: {stateWords[step.state]}</span>
            </div>
            {step.detail ? <div className="check-detail">{step.detail}</div> : null}
            {step.fix ? <div className="check-fix">{step.fix}</div> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
