import { describe, expect, it } from 'vitest';
import { confirmationItemsOf } from '../../../renderer/lib/confirmation-items.ts';
import type { DestructionPlan } from '../../../shared/destruction-plan.ts';

describe('what a CONFIRMATION_REQUIRED error says would be destroyed', () => {
  it('lists every item of a destruction plan with its kind, size and note', () => {
    const plan: DestructionPlan = {
      purpose: 'divergence',
      taskId: null,
      connectionId: 'c1',
      host: 'root@nas-b:22',
      digest: 'sha256:abc',
      reclaimBytes: 3 * 1024 ** 2,
      refused: [],
      operations: [
        {
          kind: 'rollback',
          to: 'backup/a@base',
          command: 'zfs rollback -r backup/a@base',
          items: [
            { kind: 'snapshot', name: 'backup/a@local', guid: '1', bytes: 2048, note: 'not on the source' },
            { kind: 'written-data', name: 'backup/a', guid: '2', bytes: 1024 ** 2, note: null },
          ],
        },
      ],
    };
    const result = confirmationItemsOf({ code: 'CONFIRMATION_REQUIRED', message: 'm', details: { plan, confirmation: 'sha256:abc', destroys: ['backup/a@local'], actions: [] } });
    expect(result).toEqual({
      items: [
        { label: 'backup/a@local', detail: 'snapshot, 2.0 KiB, not on the source' },
        { label: 'backup/a', detail: 'data written since the last snapshot, 1.0 MiB' },
      ],
      confirmation: 'sha256:abc',
      host: 'root@nas-b:22',
      reclaimBytes: 3 * 1024 ** 2,
    });
  });

  it("falls back to a run's wouldLose lines (its actions) or a repair's actions", () => {
    expect(confirmationItemsOf({ code: 'CONFIRMATION_REQUIRED', message: 'm', details: { destroys: [], actions: ['backup/a@x (1 MiB)'], confirmation: 'd' } }).items).toEqual([{ label: 'backup/a@x (1 MiB)' }]);
    expect(confirmationItemsOf({ code: 'CONFIRMATION_REQUIRED', message: 'm', details: { destroys: [], actions: ['hold a@s1'], confirmation: 'd' } }).confirmation).toBe('d');
  });
});
