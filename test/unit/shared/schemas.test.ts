import { describe, expect, it } from 'vitest';
import { ConnectionInputSchema } from '../../../shared/schemas.ts';
import { eventNames, isEventName, isVerbName, verbNames } from '../../../shared/contract.ts';

describe('connection input', () => {
  it('fills defaults an admin expects', () => {
    expect(ConnectionInputSchema.parse({ name: ' nas ', host: 'nas.lan' })).toEqual({
      name: 'nas',
      host: 'nas.lan',
      port: 22,
      username: 'root',
      auth: { kind: 'app-key' },
      privilege: 'root',
    });
  });

  it.each(['nas; reboot', '$(id)', '`id`', '-oProxyCommand=x', 'a b', '', 'nas|x'])('rejects host %j', (host) => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host }).success).toBe(false);
  });

  it.each(['192.168.1.20', 'fe80::1%eth0', 'nas-01.example.com', 'truenas.local'])('accepts host %j', (host) => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host }).success).toBe(true);
  });

  it.each(['-oops', 'root;', 'a b', '$USER'])('rejects user %j', (username) => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host: 'h', username }).success).toBe(false);
  });

  it('rejects ports out of range', () => {
    expect(ConnectionInputSchema.safeParse({ name: 'n', host: 'h', port: 0 }).success).toBe(false);
    expect(ConnectionInputSchema.safeParse({ name: 'n', host: 'h', port: 65536 }).success).toBe(false);
  });
});

describe('contract names', () => {
  it('recognises own names only, not Object.prototype keys', () => {
    expect(verbNames).toContain('ping');
    expect(eventNames).toContain('runProgress');
    expect(isVerbName('ping')).toBe(true);
    expect(isVerbName('constructor')).toBe(false);
    expect(isEventName('hasOwnProperty')).toBe(false);
  });
});
