import type { AppError } from '../../shared/result.ts';
import { formatBytes } from './format.ts';

/** One line of a destructive confirmation (renderer/components/ConfirmDialog.tsx ConfirmItem). */
export interface ConfirmItem {
  /** The thing that goes, e.g. "backup/photos@auto-2026-11-21_10-00". */
  label: string;
  /** e.g. its size, or why it goes. */
  detail?: string;
}

/**
 * What a CONFIRMATION_REQUIRED error says would go, whichever operation raised it (typed by shared/result.ts): every
 * item of its destruction plan with kind, size and why; without a plan, the names it destroys and its actions (a
 * run's refusal carries what it would lose as its actions, a repair its steps).
 */
export function confirmationItemsOf(error: AppError): { items: ConfirmItem[]; confirmation: string | null; host: string | null; reclaimBytes: number | null } {
  if (error.code !== 'CONFIRMATION_REQUIRED') return { items: [], confirmation: null, host: null, reclaimBytes: null };
  const { plan, destroys, actions } = error.details;
  const planItems: ConfirmItem[] = (plan?.operations ?? []).flatMap((op) =>
    op.items.map((item) => ({
      label: item.name,
      detail: [item.kind === 'written-data' ? 'data written since the last snapshot' : item.kind, item.bytes !== null ? formatBytes(item.bytes) : null, item.note].filter(Boolean).join(', '),
    })),
  );
  const items = planItems.length > 0 ? planItems : [...new Set([...destroys, ...actions])].map((label) => ({ label }));
  return {
    items,
    confirmation: error.details.confirmation ?? plan?.digest ?? null,
    host: plan?.host ?? null,
    reclaimBytes: plan?.reclaimBytes ?? error.details.reclaimBytes ?? null,
  };
}
