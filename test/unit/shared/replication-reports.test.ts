import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { runReplicationTask } from '../../../electron/services/replication/replication-engine.ts';
import type { doctorTask, promoteTask, repairTask, resetTask } from '../../../electron/services/replication/task-maintenance.ts';
import { verbs } from '../../../shared/contract.ts';
import { DoctorReportSchema, PromoteReportSchema, RepairReportSchema, ResetReportSchema, RunReportSchema } from '../../../shared/replication-reports.ts';

// The engine and maintenance reports are defined once (shared/replication-reports.ts): the services return exactly
// the z.infer types of those schemas, and the contract answers with the very same schema objects. A service-side
// interface that drifted from the contract would fail these type assertions (checked by tsc) and this test.

type Returned<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

// Type level: what the services return IS what the contract's response schemas describe.
expectTypeOf<Returned<typeof runReplicationTask>>().toEqualTypeOf<z.output<typeof verbs.runTask.response>>();
expectTypeOf<Returned<typeof doctorTask>>().toEqualTypeOf<z.output<typeof verbs.doctorTask.response>>();
expectTypeOf<Returned<typeof repairTask>>().toEqualTypeOf<z.output<typeof verbs.repairTask.response>>();
expectTypeOf<Returned<typeof resetTask>>().toEqualTypeOf<z.output<typeof verbs.resetTask.response>>();
expectTypeOf<Returned<typeof promoteTask>>().toEqualTypeOf<z.output<typeof verbs.promoteTask.response>>();

describe('replication reports', () => {
  it('the contract answers with the report schemas themselves, not copies', () => {
    expect(verbs.runTask.response).toBe(RunReportSchema);
    expect(verbs.doctorTask.response).toBe(DoctorReportSchema);
    expect(verbs.repairTask.response).toBe(RepairReportSchema);
    expect(verbs.resetTask.response).toBe(ResetReportSchema);
    expect(verbs.promoteTask.response).toBe(PromoteReportSchema);
  });

  it('are strict: a field the schema does not name is refused, so the UI never reads an undeclared shape', () => {
    const report = { taskId: 't', checkedAt: '2025-01-01T00:00:00.000Z', status: 'ok', checks: [] };
    expect(DoctorReportSchema.safeParse(report).success).toBe(true);
    expect(DoctorReportSchema.safeParse({ ...report, extra: 1 }).success).toBe(false);
    expect(DoctorReportSchema.safeParse({ ...report, checks: [{ id: 'a', title: 'A', status: 'ok', detail: '', hint: null, more: true }] }).success).toBe(false);
  });
});
