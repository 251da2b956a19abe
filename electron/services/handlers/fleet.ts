import type { z } from 'zod';
import type { NasStatusSchema } from '../../../shared/contract.ts';
import { AppFailure } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import { runPreflight, tcpConnect } from '../fleet/preflight.ts';
import { removeAuthorizedKeyScript } from '../ssh/authorized-keys-scripts.ts';
import { mapConnectionError } from '../ssh/connection-errors.ts';
import { hostKeyUnconfirmedFailure, parsePublicKeyLine } from '../ssh/host-key.ts';
import { listPools } from '../zfs/pools.ts';
import type { ZfsHost } from '../zfs/zfs-host.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

// The verbs of the fleet screens (shared/contract.ts, "Fleet screens" block): the pre-flight test, the status of
// one NAS for the overview, and the app key (show it; remove it from a NAS, the undo of the key setup).

type FleetVerb = 'preflightConnection' | 'nasStatus' | 'getAppKey' | 'removeAppKey';

const poolSummary = (host: ZfsHost) => listPools(host);

async function publicKeyOf(connection: Connection, ctx: CoreContext): Promise<string> {
  if (connection.auth.kind === 'app-key') return ctx.ssh.appPublicKey();
  if (connection.auth.kind === 'key-file') {
    const { readFile } = await import('node:fs/promises');
    try {
      return (await readFile(`${connection.auth.keyPath}.pub`, 'utf8')).trim();
    } catch {
      throw new AppFailure('NOT_FOUND', `There is no ${connection.auth.keyPath}.pub next to the key file.`, `Remove the key line on the NAS by hand, or create the .pub with: ssh-keygen -y -f ${connection.auth.keyPath} > ${connection.auth.keyPath}.pub`);
    }
  }
  throw new AppFailure('INVALID_REQUEST', 'This NAS signs in with ssh-agent: the app did not install that key, so it does not remove it.', 'Remove the line from ~/.ssh/authorized_keys on the NAS yourself.');
}

/** The connect timeout for a saved NAS: its own, else the setting. */
function connectTimeoutMs(ctx: CoreContext, connectionId: string): number {
  const own = ctx.store.listConnections().find((c) => c.id === connectionId)?.connectTimeoutSeconds;
  return (own ?? ctx.store.getSettings().connectTimeoutSeconds) * 1000;
}

export function fleetHandlers(ctx: CoreContext): HandlerGroup<FleetVerb> {
  const { store, ssh, nas, bus } = ctx;
  const deps = { connectTimeoutMs: (connectionId: string) => connectTimeoutMs(ctx, connectionId) };
  return {
    preflightConnection: async ({ connectionId }) => {
      const connection = store.getConnection(connectionId);
      // A test starts from scratch: no pooled session or cached probe from before an edit or a key change.
      nas.forget(connectionId);
      ssh.pool.close(connectionId);
      return runPreflight(connection, {
        probeHostKey: (host, port) => ssh.probeHostKey(host, port),
        login: async (c) => ({ handshakeMs: (await ssh.testConnection(c)).handshakeMs }),
        host: () => nas.host(connectionId),
        listPools: poolSummary,
        timeoutMs: deps.connectTimeoutMs(connectionId),
        onStep: (check, state, detail) => bus.emit('preflightStep', { connectionId, check, state, ...(detail === undefined ? {} : { detail }) }),
      });
    },

    nasStatus: async ({ connectionId }): Promise<z.output<typeof NasStatusSchema>> => {
      const connection = store.getConnection(connectionId);
      if (!connection.hostKey) {
        // Not set up yet: say whether the NAS answers at all, and if it does, that its key awaits confirmation
        // (not "no key" or a login error, which would send the admin the wrong way).
        const timeoutMs = deps.connectTimeoutMs(connectionId);
        const endpoint = `${connection.host}:${connection.port}`;
        try {
          await tcpConnect(connection.host, connection.port, timeoutMs);
        } catch (error) {
          throw mapConnectionError(error, { label: `${connection.username}@${endpoint}`, host: connection.host, port: connection.port, username: connection.username, connectTimeoutMs: timeoutMs });
        }
        throw hostKeyUnconfirmedFailure({ host: connection.host, port: connection.port, connectionId, label: endpoint }, await ssh.probeHostKey(connection.host, connection.port));
      }
      const host = await nas.host(connectionId);
      const started = performance.now();
      await host.runner.run(['true'], { privileged: false, timeoutMs: deps.connectTimeoutMs(connectionId) + 10_000 });
      const latencyMs = performance.now() - started;
      const caps = host.capabilities;
      return {
        connectionId,
        checkedAt: new Date().toISOString(),
        latencyMs,
        os: `${caps.os} ${caps.osRelease}`,
        zfsVersion: caps.userland.text,
        zfsKernelVersion: caps.kernel && caps.kernel.text.replace(/^zfs-kmod-/, 'zfs-') !== caps.userland.text ? caps.kernel.text : null,
        privilege: connection.privilege,
        loginIsRoot: caps.loginIsRoot,
        pools: await poolSummary(host),
      };
    },

    getAppKey: async () => {
      const publicKey = await ssh.appPublicKey();
      const parsed = parsePublicKeyLine(publicKey);
      if (!parsed) throw new AppFailure('INTERNAL', "The app's public key (keys/id_ed25519.pub in the settings folder) is not readable.", 'Delete the keys folder in the settings folder to create a new key (then set up the key on each NAS again).');
      return { publicKey, type: parsed.type, sha256: parsed.sha256 };
    },

    removeAppKey: async ({ connectionId }) => {
      const connection = store.getConnection(connectionId);
      const line = parsePublicKeyLine(await publicKeyOf(connection, ctx));
      if (!line) throw new AppFailure('INVALID_REQUEST', 'The public key to remove is not an OpenSSH key line.');
      const runner = ssh.runnerFor(connection);
      const { stdout } = await runner.run(['sh', '-c', removeAuthorizedKeyScript, 'sh', line.base64], { privileged: false, timeoutMs: 60_000 });
      const removed = Number.parseInt(stdout.trim(), 10);
      if (!Number.isFinite(removed)) throw new AppFailure('REMOTE_COMMAND_FAILED', `${runner.label}: unexpected answer while editing authorized_keys: ${stdout.slice(0, 200)}`);
      // The pooled session was signed in with that key: the next command must prove the key again.
      nas.forget(connectionId);
      ssh.pool.close(connectionId);
      bus.emit('log', { at: new Date().toISOString(), level: 'info', source: 'app', message: `Removed the app's key from ~/.ssh/authorized_keys of ${runner.label} (${removed} line(s)).` });
      return { removed };
    },
  };
}
