import { delegationPlan } from '../ssh/zfs-delegation.ts';
import type { CoreContext, HandlerGroup } from './context.ts';

type SshVerbs = 'probeHostKey' | 'confirmHostKey' | 'testConnection' | 'installAppKey' | 'establishNasTrust' | 'removeNasTrust' | 'zfsAllowCommands';

/** Host-key trust, the guided key exchanges (app→NAS, NAS↔NAS) and delegated privilege. */
export function sshHandlers(ctx: CoreContext): HandlerGroup<SshVerbs> {
  const { ssh, nas, store, connection } = ctx;
  const keySteps = (connectionId: string) => (step: { step: string; status: 'running' | 'done' | 'failed'; detail?: string }) =>
    ctx.bus.emit('keyExchangeStep', { connectionId, step: step.step, status: step.status, ...(step.detail === undefined ? {} : { detail: step.detail }) });
  return {
    probeHostKey: async ({ connectionId }) => {
      const target = connection(connectionId);
      const key = await ssh.probeHostKey(target.host, target.port);
      return { type: key.type, sha256: key.sha256 };
    },
    confirmHostKey: async ({ connectionId, sha256 }) => {
      await ssh.confirmHostKey(connection(connectionId), sha256);
      nas.forget(connectionId);
      ctx.bus.emit('connectionsChanged', { connections: store.listConnections() });
      return connection(connectionId);
    },
    testConnection: async ({ connectionId }) => {
      const result = await ssh.testConnection(connection(connectionId));
      // A test is the admin asking what the NAS is now: probe it again rather than answer from the cache.
      nas.forget(connectionId);
      const host = await nas.host(connectionId);
      return {
        handshakeMs: result.handshakeMs,
        cipher: result.cipher,
        hostKey: result.hostKey,
        os: host.capabilities.os,
        zfsVersion: host.capabilities.userland.text,
        jsonOutput: host.capabilities.jsonOutput,
        timeZone: host.capabilities.timeZone,
      };
    },
    installAppKey: async ({ connectionId, password }) => ssh.installAppKey(connection(connectionId), password, keySteps(connectionId)),
    establishNasTrust: async ({ sourceConnectionId, destinationConnectionId, destinationAddress, reverseAddress }) => {
      const source = connection(sourceConnectionId);
      const destination = connection(destinationConnectionId);
      const directions = [{ from: source.name, to: destination.name }];
      await ssh.establishNasToNasTrust(source, destination, destinationAddress, keySteps(sourceConnectionId));
      if (reverseAddress) {
        await ssh.establishNasToNasTrust(destination, source, reverseAddress, keySteps(destinationConnectionId));
        directions.push({ from: destination.name, to: source.name });
      }
      return { directions };
    },
    removeNasTrust: async ({ sourceConnectionId, destinationConnectionId, bothDirections }) => {
      const source = connection(sourceConnectionId);
      const destination = connection(destinationConnectionId);
      await ssh.removeNasToNasTrust(source, destination, { onStep: keySteps(sourceConnectionId) });
      if (bothDirections) await ssh.removeNasToNasTrust(destination, source, { onStep: keySteps(destinationConnectionId) });
      return { directions: bothDirections ? 2 : 1 };
    },
    zfsAllowCommands: ({ taskId }) => {
      const task = store.getTask(taskId);
      const plan = delegationPlan({
        sourceUser: connection(task.sourceConnectionId).username,
        sourceDataset: task.sources[0]!.name,
        destinationUser: connection(task.destinationConnectionId).username,
        destinationDataset: task.destinationParent,
        receivedProperties: Object.keys(task.properties.override).concat(task.destinationReadonly ? ['readonly'] : []),
      });
      return { source: plan.source.command, destination: plan.destination.command, revokeSource: plan.revoke.source, revokeDestination: plan.revoke.destination, notes: plan.notes };
    },
  };
}
