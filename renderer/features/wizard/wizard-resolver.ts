import type { FieldErrors as RhfFieldErrors, Resolver } from 'react-hook-form';
import { validateWizard, type FieldErrors, type WizardContext, type WizardForm } from './wizard-form.ts';

// react-hook-form's resolver for the wizard: the contract's schema through validateWizard (wizard-form.ts), its
// messages put on the fields by path ("newPeriodicTask.lifetimeAmount" becomes a nested error, as RHF expects).

export function rhfErrors(errors: FieldErrors): RhfFieldErrors<WizardForm> {
  const out: Record<string, unknown> = {};
  for (const [path, message] of Object.entries(errors)) {
    if (!message) continue;
    const parts = path.split('.');
    let node = out;
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[parts.at(-1)!] = { type: 'validate', message };
  }
  return out as RhfFieldErrors<WizardForm>;
}

export function wizardResolver(context: () => WizardContext): Resolver<WizardForm> {
  return (values) => {
    const errors = validateWizard(values, context());
    return Object.keys(errors).length === 0 ? { values, errors: {} } : { values: {}, errors: rhfErrors(errors) };
  };
}
