import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHostKey, InMemoryHostKeyTrust } from '../../../../../electron/services/ssh/host-key.ts';
import { authMethodsOf, connectSsh } from '../../../../../electron/services/ssh/ssh-connect.ts';

// The login asks for the method it will use at once: no opening "none" request (a round trip on every connection,
// ~0.1 s to an emulated NAS). Checked against an in-process ssh2 server that records every request it receives.

const hostKey = ssh2.utils.generateKeyPairSync('ed25519');
const userKey = ssh2.utils.generateKeyPairSync('ed25519');
const otherKey = ssh2.utils.generateKeyPairSync('ed25519');
const authorized = ssh2.utils.parseKey(userKey.public);
const hostBlob = (ssh2.utils.parseKey(hostKey.public) as ssh2.ParsedKey).getPublicSSH();

let server: ssh2.Server;
let port = 0;
const requested: string[] = [];

beforeAll(async () => {
  server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    client.on('authentication', (ctx) => {
      requested.push(ctx.method + (ctx.method === 'publickey' && !ctx.signature ? ' (check)' : ''));
      if (ctx.method === 'password' && ctx.password === 'right') return ctx.accept();
      if (ctx.method === 'publickey' && !(authorized instanceof Error)) {
        const key = authorized as ssh2.ParsedKey;
        const same = ctx.key.algo === key.type && ctx.key.data.equals(key.getPublicSSH());
        if (!same) return ctx.reject(['publickey', 'password']);
        if (!ctx.signature) return ctx.accept();
        if (ctx.blob && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['publickey', 'password']);
    });
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function login(credentials: Parameters<typeof connectSsh>[0]['credentials']) {
  requested.length = 0;
  const trust = new InMemoryHostKeyTrust();
  trust.pin('c1', describeHostKey(hostBlob));
  const session = await connectSsh({ host: '127.0.0.1', port, username: 'admin', connectionId: 'c1', credentials, trust });
  session.client.end();
  return [...requested];
}

describe('ssh login methods', () => {
  it('a key logs in with the key alone: the check and the signed request, no "none" first', async () => {
    expect(await login({ privateKey: Buffer.from(userKey.private), description: 'the app key' })).toEqual(['publickey (check)', 'publickey']);
  });

  it('a password logs in with the password alone', async () => {
    expect(await login({ password: 'right', description: 'a password' })).toEqual(['password']);
  });

  it('a key the server refuses still fails as a refused login (AUTH_FAILED), after asking once', async () => {
    await expect(login({ privateKey: Buffer.from(otherKey.private), description: 'another key' })).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    expect(requested).toEqual(['publickey (check)']);
  });

  it('the methods come in ssh2\'s order, and "none" only when nothing else is given', () => {
    expect(authMethodsOf({ password: 'x', privateKey: Buffer.from('k'), agent: '/run/agent' })).toEqual(['password', 'publickey', 'agent']);
    expect(authMethodsOf({})).toEqual(['none']);
  });
});
