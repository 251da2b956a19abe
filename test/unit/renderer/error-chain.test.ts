import { describe, expect, it, vi } from 'vitest';
import type { AppError } from '../../../shared/result.ts';
import { ErrorChain, errorDetailsText, fieldIssuesOfError, forCodes } from '../../../renderer/lib/error-chain.ts';

// Errors as they may arrive (the chain reads them defensively): built loosely, then typed.
const err = (code: AppError['code'], message = 'm', extra: { hint?: string; details?: unknown } = {}): AppError => ({ code, message, ...extra }) as AppError;

describe('the error chain', () => {
  it('asks handlers in order until one takes the error', async () => {
    const seen: string[] = [];
    const chain = new ErrorChain();
    chain.set([
      { name: 'offline', handle: forCodes(['TRANSPORT_CLOSED'], () => (seen.push('offline'), null)) },
      { name: 'host-key', handle: forCodes(['HOST_KEY_MISMATCH'], () => (seen.push('host-key'), null)) },
      { name: 'generic', handle: () => (seen.push('generic'), null) },
    ]);
    expect(await chain.report(err('HOST_KEY_MISMATCH'))).toBe('host-key');
    expect(await chain.report(err('TRANSPORT_CLOSED'))).toBe('offline');
    expect(await chain.report(err('NO_SPACE'))).toBe('generic');
    expect(seen).toEqual(['host-key', 'offline', 'generic']);
  });

  it('lets a handler rewrite the error for the next one, and survives a handler that throws', async () => {
    const chain = new ErrorChain();
    const last = vi.fn(() => null);
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    chain.set([
      { name: 'broken', handle: () => { throw new Error('bug'); } },
      { name: 'rewrite', handle: (e) => ({ ...e, message: `${e.message} (rewritten)` }) },
      { name: 'last', handle: last },
    ]);
    expect(await chain.report(err('INTERNAL', 'boom'))).toBe('last');
    expect(last).toHaveBeenCalledWith({ code: 'INTERNAL', message: 'boom (rewritten)' }, {});
  });

  it('passes on what a handler needs context for (no form: validation goes on)', async () => {
    const chain = new ErrorChain();
    chain.set([{ name: 'validation', handle: (e, c) => (e.code === 'INVALID_REQUEST' && c.setFieldErrors?.(fieldIssuesOfError(e)) ? null : e) }]);
    expect(await chain.report(err('INVALID_REQUEST', '✖ bad\n  → at port'))).toBeNull();
    expect(await chain.report(err('INVALID_REQUEST', '✖ bad\n  → at port'), { setFieldErrors: () => true })).toBe('validation');
  });
});

describe('field issues of a validation error', () => {
  it('reads typed details.issues when the main process sends them', () => {
    expect(fieldIssuesOfError(err('INVALID_REQUEST', 'x', { details: { issues: [{ path: ['destinationAddress', 'port'], message: 'Use a number no larger than 65535.' }, { nope: 1 }] } }))).toEqual([
      { path: ['destinationAddress', 'port'], message: 'Use a number no larger than 65535.' },
    ]);
  });

  it("reads zod's pretty text otherwise", () => {
    const message = '✖ Host must be a DNS name\n  → at host\n✖ Too small: expected number to be >=1\n  → at sources.0.port\n✖ Whole thing';
    expect(fieldIssuesOfError(err('INVALID_REQUEST', message))).toEqual([
      { path: ['host'], message: 'Host must be a DNS name' },
      { path: ['sources', 0, 'port'], message: 'Too small: expected number to be >=1' },
      { path: [], message: 'Whole thing' },
    ]);
  });

  it('copies details as text a bug report can carry', () => {
    const text = errorDetailsText(err('HOST_UNREACHABLE', 'Cannot reach nas:22', { hint: 'Check the port.', details: { host: 'nas', port: 22, cause: 'connect ECONNREFUSED', errno: 'ECONNREFUSED' } }), { action: 'Test nas', verb: 'preflightConnection' });
    expect(text).toContain('HOST_UNREACHABLE: Cannot reach nas:22');
    expect(text).toContain('What to do: Check the port.');
    expect(text).toContain('While: Test nas');
    expect(text).toContain('"errno": "ECONNREFUSED"');
  });
});
