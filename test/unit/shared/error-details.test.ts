import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { mapConnectionError } from '../../../electron/services/ssh/connection-errors.ts';
import { hostKeyMismatchFailure, hostKeyUnconfirmedFailure } from '../../../electron/services/ssh/host-key.ts';
import { failureFromStderr, stderrRules } from '../../../electron/services/ssh/stderr-error-table.ts';
import { AppErrorSchema, AppFailure, appErrorCodes, type AppError, type ErrorDetails } from '../../../shared/result.ts';

// Every error crosses as { code, message, hint, details } with details typed by the code (shared/result.ts): the
// UI's error handlers read these fields. The producers here must fit the schemas.

const fixture = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'fixtures', 'ssh', 'stderr-messages.json'), 'utf8')) as Array<{ stderr: string; exitCode: number | null; command: string }>;
const conforms = (error: AppError) => expect(AppErrorSchema.safeParse(error).error?.issues ?? []).toEqual([]);

describe('typed error details', () => {
  it('the types: a host-key mismatch always carries host, expected and presented; a refusal its list and digest', () => {
    expectTypeOf<Extract<AppError, { code: 'HOST_KEY_MISMATCH' }>['details']>().toEqualTypeOf<ErrorDetails<'HOST_KEY_MISMATCH'>>();
    expectTypeOf<ErrorDetails<'HOST_KEY_MISMATCH'>>().toHaveProperty('presented');
    expectTypeOf<ErrorDetails<'CONFIRMATION_REQUIRED'>>().toMatchTypeOf<{ confirmation: string | null; destroys: string[]; actions: string[] }>();
    expectTypeOf<ErrorDetails<'SUDO_PASSWORD_REQUIRED'>>().toMatchTypeOf<{ sudoersLine: string }>();
    expectTypeOf<ErrorDetails<'INVALID_REQUEST'>['issues']>().toEqualTypeOf<Array<{ path: Array<string | number>; message: string; field?: string; value?: unknown }>>();
  });

  it('every stderr rule and every captured message maps to details of its code', () => {
    const label = 'admin@nas-a:22';
    for (const sample of fixture) conforms(failureFromStderr({ label, username: 'admin', ...sample }).appError);
    const hostKeyChanged =
      '@@@@\r\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\r\nThe fingerprint for the ED25519 key sent by the remote host is\r\nSHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s.\r\n' +
      'Host key for [10.0.2.2]:2223 has changed and you have requested strict checking.\r\nHost key verification failed.\r\n';
    const changed = failureFromStderr({ label, command: 'ssh nas-b true', exitCode: 255, stderr: hostKeyChanged }).appError;
    conforms(changed);
    expect(changed).toMatchObject({
      code: 'HOST_KEY_MISMATCH',
      details: { via: 'nas', host: '[10.0.2.2]:2223', expected: null, presented: { type: 'ssh-ed25519', sha256: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s' } },
    });
    const sudo = failureFromStderr({ label, username: 'admin', command: 'sudo -n zfs list', exitCode: 1, stderr: 'sudo: a password is required\n' }).appError;
    expect(sudo).toMatchObject({ code: 'SUDO_PASSWORD_REQUIRED', details: { username: 'admin', sudoersLine: 'admin ALL=(ALL) NOPASSWD: /usr/sbin/zfs, /usr/sbin/zpool' } });
    conforms(sudo);
    expect(stderrRules.length).toBeGreaterThan(10);
  });

  it('connection failures and host-key failures', () => {
    const context = { label: 'admin@nas-a:22', host: 'nas-a', port: 22, username: 'admin' };
    for (const error of [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), Object.assign(new Error('x'), { level: 'client-authentication' }), new Error('Encrypted private OpenSSH key detected, but no passphrase given')]) {
      conforms(mapConnectionError(error, context).appError);
    }
    const key = { type: 'ssh-ed25519', sha256: 'SHA256:a' };
    const subject = { host: 'nas-a', port: 22, connectionId: 'c' };
    conforms(hostKeyUnconfirmedFailure(subject, key).appError);
    conforms(hostKeyMismatchFailure(subject, key, { ...key, sha256: 'SHA256:b' }, { found: [key] }).appError);
  });

  it('INVALID_REQUEST always carries field issues (the whole request when no field is named)', () => {
    const plain = new AppFailure('INVALID_REQUEST', 'No.').appError;
    expect(plain).toEqual({ code: 'INVALID_REQUEST', message: 'No.', details: { issues: [{ path: [], message: 'No.' }] } });
    const needsKey = new AppFailure('INVALID_REQUEST', 'Enter the key.', undefined, { needs: 'destinationKey' }).appError;
    expect(needsKey.details).toEqual({ needs: 'destinationKey', issues: [{ path: ['destinationKey'], message: 'Enter the key.' }] });
    conforms(plain);
    conforms(needsKey);
  });

  it('a code without details refuses them; a reworded failure keeps code and details', () => {
    expect(AppErrorSchema.safeParse({ code: 'UNKNOWN_VERB', message: 'x', details: { any: 1 } }).success).toBe(false);
    expect(AppErrorSchema.safeParse({ code: 'HOST_KEY_MISMATCH', message: 'x' }).success).toBe(false);
    const original = new AppFailure('NO_SPACE', 'full', 'free some', { command: 'zfs receive', exitCode: 1, stderr: 'out of space' });
    const reworded = original.reworded('full; ZFS kept what arrived', 'run again', { resumable: true });
    expect(reworded.appError).toEqual({ code: 'NO_SPACE', message: 'full; ZFS kept what arrived', hint: 'run again', resumable: true, details: original.appError.details });
    conforms(reworded.appError);
    expect(appErrorCodes).toContain('CANCELLED');
  });
});
