import { describe, expect, it, vi } from 'vitest';
import { dispatch, type Handlers } from '../../../../../electron/services/rpc/dispatcher.ts';
import { AppFailure } from '../../../../../shared/result.ts';
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
    }
  });

  it('passes an AppFailure through with its code, hint and details', async () => {
    const result = await dispatch(
      handlers({
        removeConnection: () => {
          throw new AppFailure('HOST_KEY_MISMATCH', 'changed', 'Re-trust it.', { expected: 'SHA256:a', presented: 'SHA256:b' });
        },
      }),
      'removeConnection',
      { id: '9b7e0f5e-5b8f-4a59-9d7c-2f7b0f2e9a11' },
    );
    expect(result).toEqual({
      ok: false,
      error: { code: 'HOST_KEY_MISMATCH', message: 'changed', hint: 'Re-trust it.', details: { expected: 'SHA256:a', presented: 'SHA256:b' } },
    });
  });

  it('turns any other throw into INTERNAL, and a malformed response too', async () => {
    const thrown = await dispatch(handlers({ getSettings: () => { throw new TypeError('boom'); } }), 'getSettings', {});
    expect(thrown.ok === false && thrown.error.code).toBe('INTERNAL');
    expect(thrown.ok === false && thrown.error.message).toContain('boom');
    const malformed = await dispatch(handlers({ getSettings: () => ({ theme: 'sepia' }) as never }), 'getSettings', {});
    expect(malformed.ok === false && malformed.error.code).toBe('INTERNAL');
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
