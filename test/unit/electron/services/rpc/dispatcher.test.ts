import { describe, expect, it, vi } from 'vitest';
import { dispatch, sampledListingRows, type Handlers } from '../../../../../electron/services/rpc/dispatcher.ts';
import { AppErrorSchema, AppFailure } from '../../../../../shared/result.ts';
import { verbNames, verbs } from '../../../../../shared/contract.ts';
import { defaultSettings } from '../../../../../shared/schemas.ts';

const notUsed = () => {
  throw new Error('not used in this test');
};
function handlers(overrides: Partial<Handlers>): Handlers {
  const all = Object.fromEntries(verbNames.map((name) => [name, notUsed])) as unknown as Handlers;
  return { ...all, ...overrides };
}

describe('dispatch', () => {
  it('validates the request, runs the handler and returns its value', async () => {
    const result = await dispatch(handlers({ ping: ({ message }) => ({ message: message.toUpperCase(), receivedAt: 'now' }) }), 'ping', { message: 'hi' });
    expect(result).toEqual({ ok: true, value: { message: 'HI', receivedAt: 'now' } });
  });

  it('names an unknown verb, including inherited object keys', async () => {
    for (const verb of ['dropAllPools', 'toString', '__proto__', 42]) {
      const result = await dispatch(handlers({}), verb, {});
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe('UNKNOWN_VERB');
    }
  });

  it('refuses a malformed request with the field named, before the handler runs', async () => {
    let called = false;
    const result = await dispatch(
      handlers({ saveConnection: () => ((called = true), undefined as never) }),
      'saveConnection',
      { name: 'nas', host: 'nas; reboot', port: 70000 },
    );
    expect(called).toBe(false);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_REQUEST');
      expect(result.error.message).toContain('host');
      expect(result.error.message).toContain('port');
      expect(result.error.hint).toBeTruthy();
      // Each field at fault, by its path, so the UI marks it in place.
      const paths = result.error.code === 'INVALID_REQUEST' ? result.error.details.issues.map((i) => i.path) : [];
      expect(paths).toEqual(expect.arrayContaining([['host'], ['port']]));
      expect(AppErrorSchema.parse(result.error)).toEqual(result.error);
    }
  });

  it('an error whose details do not fit its code keeps its message and hint, without the details', async () => {
    const result = await dispatch(
      handlers({
        getSettings: () => {
          throw new AppFailure('HOST_KEY_MISMATCH', 'changed', 'Re-trust it.', { expected: 'SHA256:a' } as never);
        },
      }),
      'getSettings',
      {},
    );
    expect(result).toEqual({ ok: false, error: { code: 'HOST_KEY_MISMATCH', message: 'changed', hint: 'Re-trust it.' } });
  });

  it('passes an AppFailure through with its code, hint and details', async () => {
    const key = (sha256: string) => ({ type: 'ssh-ed25519', sha256 });
    const details = { via: 'app' as const, host: 'nas-a', port: 22, connectionId: null, expected: key('SHA256:a'), presented: key('SHA256:b') };
    const result = await dispatch(
      handlers({
        removeConnection: () => {
          throw new AppFailure('HOST_KEY_MISMATCH', 'changed', 'Re-trust it.', details);
        },
      }),
      'removeConnection',
      { id: '9b7e0f5e-5b8f-4a59-9d7c-2f7b0f2e9a11' },
    );
    expect(result).toEqual({
      ok: false,
      error: { code: 'HOST_KEY_MISMATCH', message: 'changed', hint: 'Re-trust it.', details },
    });
  });

  it('turns any other throw into INTERNAL, and a malformed response too', async () => {
    const thrown = await dispatch(handlers({ getSettings: () => { throw new TypeError('boom'); } }), 'getSettings', {});
    expect(thrown.ok === false && thrown.error.code).toBe('INTERNAL');
    expect(thrown.ok === false && thrown.error.message).toContain('boom');
    const malformed = await dispatch(handlers({ getSettings: () => ({ theme: 'sepia' }) as never }), 'getSettings', {});
    expect(malformed.ok === false && malformed.error.code).toBe('INTERNAL');
  });

  it('checks a long listing on a sample of its rows and sends it as it is; a short one row by row', async () => {
    const row = (i: number) => ({ name: `tank/a@s${i}`, type: 'snapshot', guid: String(i), createtxg: i, creation: i, usedBytes: 0, referencedBytes: 0, userRefs: 0, dataset: 'tank/a', shortName: `s${i}` });
    const long = Array.from({ length: sampledListingRows + 1 }, (_, i) => row(i));
    const request = { connectionId: '9b7e0f5e-5b8f-4a59-9d7c-2f7b0f2e9a11', dataset: 'tank/a' };
    const ok = await dispatch(handlers({ listSnapshots: () => long as never }), 'listSnapshots', request);
    expect(ok.ok && ok.value).toBe(long);
    // A malformed first or last row (always in the sample) is caught; so is any row of a short listing.
    for (const broken of [{ ...long[0], guid: 7 }, undefined]) {
      const rows = broken ? [broken, ...long.slice(1)] : [...long.slice(0, -1), { ...long.at(-1), type: 'volume' }];
      const result = await dispatch(handlers({ listSnapshots: () => rows as never }), 'listSnapshots', request);
      expect(result.ok === false && result.error.code).toBe('INTERNAL');
    }
    const short = [row(1), { ...row(2), createtxg: 'x' }];
    const refused = await dispatch(handlers({ listSnapshots: () => short as never }), 'listSnapshots', request);
    expect(refused.ok === false && refused.error.code).toBe('INTERNAL');
  });

  it('treats a missing request as an empty one', async () => {
    const result = await dispatch(handlers({ getSettings: () => ({ ...defaultSettings, theme: 'dark' }) }), 'getSettings', undefined);
    expect(result).toEqual({ ok: true, value: { ...defaultSettings, theme: 'dark' } });
  });
});

describe('dispatch never throws', () => {
  it('turns a validation that throws into INVALID_REQUEST (a 40,000-character naming schema)', async () => {
    let called = false;
    const request = {
      name: 'huge schema',
      sourceConnectionId: '9b7e0f5e-5b8f-4a59-9d7c-2f7b0f2e9a11',
      sources: [{ name: 'tank/data' }],
      destinationConnectionId: '9b7e0f5e-5b8f-4a59-9d7c-2f7b0f2e9a12',
      destinationParent: 'backup',
      transport: { kind: 'relay' },
      selection: { kind: 'naming-schema', schemas: [`auto-%Y-%m-%d_%H-%M${'a'.repeat(40_000)}`] },
    };
    const result = await dispatch(handlers({ saveTask: () => ((called = true), undefined as never) }), 'saveTask', request);
    expect(called).toBe(false);
    expect(result.ok === false && result.error.code).toBe('INVALID_REQUEST');
  });

  it('whatever the schema check throws', async () => {
    const spy = vi.spyOn(verbs.ping.request, 'safeParse').mockImplementation(() => {
      throw new SyntaxError('Invalid regular expression: /…/: Regular expression too large');
    });
    try {
      const result = await dispatch(handlers({}), 'ping', { message: 'x' });
      expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
      expect(result.ok === false && result.error.message).toContain('Regular expression too large');
      expect(result.ok === false && result.error.hint).toContain('shorten');
    } finally {
      spy.mockRestore();
    }
  });

  it('and whatever it is given as a verb, or thrown', async () => {
    const strange = [{ toString: 1 }, Object.create(null), Symbol('verb'), 10n, () => 1];
    for (const verb of strange) {
      const result = await dispatch(handlers({}), verb, {});
      expect(result.ok === false && result.error.code).toBe('UNKNOWN_VERB');
    }
    const thrown = await dispatch(handlers({ getSettings: () => { throw Object.create(null); } }), 'getSettings', {});
    expect(thrown.ok === false && thrown.error.code).toBe('INTERNAL');
  });
});
