import type { AppError } from '../../shared/result.ts';
import { formatBytes } from './format.ts';

/** One line of a destructive confirmation (renderer/components/ConfirmDialog.tsx ConfirmItem). */
export interface ConfirmItem {
  /** The thing that goes, e.g. "backup/photos@auto-2026-11-21_10-00". */
  label: string;
  /** e.g. its size, or why it goes. */
  detail?: string;
}

interface PlanItem {
  kind?: string;
  name?: string;
  bytes?: number | null;
  note?: string | null;
}

/**
 * What a CONFIRMATION_REQUIRED error says would go, whichever operation raised it: a destruction plan (details.plan
 * with operations and their items, shared/replication-reports.ts), a run's wouldLose lines, a repair's actions.
 */
export function confirmationItemsOf(error: AppError): { items: ConfirmItem[]; confirmation: string | null; host: string | null; reclaimBytes: number | null } {
  const details = error.details ?? {};
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  const plan = typeof details.plan === 'object' && details.plan !== null ? (details.plan as Record<string, unknown>) : {};
  const operations = Array.isArray(plan.operations) ? (plan.operations as { items?: PlanItem[] }[]) : [];
  const planItems: ConfirmItem[] = operations.flatMap((op) =>
    (op.items ?? []).map((item) => ({
      label: item.name ?? '?',
      detail: [item.kind === 'written-data' ? 'data written since the last snapshot' : item.kind, typeof item.bytes === 'number' ? formatBytes(item.bytes) : null, item.note].filter(Boolean).join(', '),
    })),
  );
  const items = planItems.length > 0 ? planItems : [...strings(details.wouldLose), ...strings(details.actions), ...strings(plan.destroys)].map((label) => ({ label }));
  const confirmation = typeof details.confirmation === 'string' ? details.confirmation : typeof plan.digest === 'string' ? plan.digest : null;
  return {
    items,
    confirmation,
    host: typeof plan.host === 'string' ? plan.host : null,
    reclaimBytes: typeof plan.reclaimBytes === 'number' ? plan.reclaimBytes : null,
  };
}

