import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { VerbRequest } from '../../../shared/contract.ts';
import { AppFailure } from '../../../shared/result.ts';
import type { Connection } from '../../../shared/schemas.ts';
import type { Core } from '../../services/core.ts';
import { exitCodes, invoke, usageError, withErrors, type CliEnvironment, type Output } from '../cli-support.ts';

// `zfs-replication connection …`: saved NAS connections, their host-key trust, the app's key on the NAS (the
// password from a prompt or stdin, never an argument) and NAS-to-NAS trust, all through the core's verbs.

export const connectionUsage = `usage: zfs-replication connection <command> [options]

commands:
  list                          saved connections (--json: all fields)
  add NAME --host HOST          save a connection, then pin its host key:
        [--port 22] [--user root] [--privilege root|sudo|delegated]
        [--key-file PATH | --agent]      how to log in (default: the app's own key, see install-key)
        [--fingerprint SHA256:…]         pin this host key without asking (the NAS must present exactly it);
                                         without it a terminal is asked to compare the fingerprint
        [--no-trust]                     save only; pin later with "connection trust"
  edit NAME [--name NEW] [--host …] [--port …] [--user …] [--privilege …] [--key-file PATH | --agent | --app-key]
        [--fingerprint SHA256:…]         a new host or port drops the pinned key: pin the new one
  remove NAME                   forget the connection (nothing on the NAS is touched)
  test NAME                     log in with the key and say what the NAS can do
  trust NAME [--fingerprint SHA256:…]
                                pin the NAS's host key: compared with --fingerprint, or shown on a terminal
                                to confirm; without either, print the fingerprint (exit 3) to compare
  install-key NAME [--password-stdin]
                                install the app's key on the NAS with the user's password, used once and never
                                stored: asked on the terminal, or the first line of stdin with --password-stdin
  nas-trust SOURCE DESTINATION --address HOST[:PORT] [--reverse-address HOST[:PORT]]
                                let SOURCE log in to DESTINATION (at the address SOURCE reaches it by) for
                                direct NAS-to-NAS replication; --reverse-address: the other way too
  nas-untrust SOURCE DESTINATION [--both]
                                remove exactly what nas-trust added

options: --json (machine-readable output), -h/--help`;

const common = {
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

const endpointOptions = {
  host: { type: 'string' },
  port: { type: 'string' },
  user: { type: 'string' },
  privilege: { type: 'string' },
  'key-file': { type: 'string' },
  agent: { type: 'boolean', default: false },
  'app-key': { type: 'boolean', default: false },
  fingerprint: { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** A saved connection by name (any case) or id. */
export async function connectionByRef(core: Core, reference: string): Promise<Connection> {
  const connections = await invoke(core, 'listConnections', {});
  const wanted = reference.trim().toLowerCase();
  const found = connections.find((c) => c.name.toLowerCase() === wanted) ?? connections.find((c) => c.id === reference.trim());
  if (!found) {
    throw new AppFailure('NOT_FOUND', `There is no connection "${reference}".`, `Saved connections: ${connections.map((c) => c.name).join(', ') || 'none'}. Add one with "zfs-replication connection add NAME --host HOST".`);
  }
  return found;
}

function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AppFailure('INVALID_REQUEST', `"${text}" is not a port (1-65535).`, 'Give the SSH port as a number, e.g. --port 22.');
  return port;
}

/** host or host:port (an IPv6 literal in brackets: [fd00::1]:22). */
export function parseAddress(text: string): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { host: bracketed[1]!, port: parsePort(bracketed[2]) ?? 22 };
  const colons = text.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = text.split(':');
    return { host: host!, port: parsePort(port) ?? 22 };
  }
  return { host: text, port: 22 };
}

type EndpointValues = { [K in keyof typeof endpointOptions]?: (typeof endpointOptions)[K]['type'] extends 'string' ? string : boolean };

/** The auth chosen on the command line, or undefined to keep (edit) / default (add). */
function authOf(values: EndpointValues): VerbRequest<'saveConnection'>['auth'] | undefined {
  const chosen = [values['key-file'] !== undefined, values.agent === true, values['app-key'] === true].filter(Boolean).length;
  if (chosen > 1) throw new AppFailure('INVALID_REQUEST', 'Choose one way to log in: --key-file PATH, --agent or --app-key.');
  if (values['key-file'] !== undefined) return { kind: 'key-file', keyPath: values['key-file'] };
  if (values.agent) return { kind: 'agent' };
  if (values['app-key']) return { kind: 'app-key' };
  return undefined;
}

function privilegeOf(text: string | undefined): 'root' | 'sudo' | 'delegated' | undefined {
  if (text === undefined) return undefined;
  if (text === 'root' || text === 'sudo' || text === 'delegated') return text;
  throw new AppFailure('INVALID_REQUEST', `"${text}" is not a privilege.`, 'Use --privilege root (log in as root), sudo (zfs through sudo -n) or delegated (zfs allow).');
}

function describe(connection: Connection): string {
  const auth = connection.auth.kind === 'key-file' ? `key ${connection.auth.keyPath}` : connection.auth.kind === 'agent' ? 'ssh agent' : 'app key';
  const pin = connection.hostKey ? `host key ${connection.hostKey.sha256}` : 'host key not confirmed';
  return `${connection.name}  ${connection.username}@${connection.host}:${connection.port}  zfs as ${connection.privilege}  ${auth}  ${pin}`;
}

/**
 * Pins the connection's host key: against the fingerprint given, or shown on a terminal for the admin to compare.
 * Without either it prints the fingerprint and returns exit 3 (confirmation required).
 */
async function trustHostKey(core: Core, env: CliEnvironment, connection: Connection, fingerprint: string | undefined, output: Output): Promise<number> {
  const { io } = env;
  if (fingerprint !== undefined) {
    if (!fingerprint.startsWith('SHA256:')) throw new AppFailure('INVALID_REQUEST', `"${fingerprint}" is not an SSH SHA256 fingerprint.`, 'Give it as ssh-keygen -lf prints it: SHA256:… (43 characters after the colon).');
    const pinned = await invoke(core, 'confirmHostKey', { connectionId: connection.id, sha256: fingerprint });
    if (!output.json) io.out(`pinned ${connection.name}'s host key ${pinned.hostKey?.type ?? ''} ${pinned.hostKey?.sha256 ?? fingerprint}`);
    return exitCodes.ok;
  }
  const key = await invoke(core, 'probeHostKey', { connectionId: connection.id });
  if (!io.interactive) {
    if (output.json) io.out(JSON.stringify({ ok: false, hostKey: key }));
    else io.err(`${connection.name} (${connection.host}:${connection.port}) presents the ${key.type} host key ${key.sha256}.\nCompare it with the NAS's console (ssh-keygen -lf /etc/ssh/ssh_host_${key.type.replace(/^ssh-/, '')}_key.pub), then pin it:\n  zfs-replication connection trust ${connection.name} --fingerprint ${key.sha256}`);
    return exitCodes.confirmationRequired;
  }
  io.err(`${connection.name} (${connection.host}:${connection.port}) presents this ${key.type} host key:\n  ${key.sha256}\nCompare it with the fingerprint on the NAS's console before trusting it.`);
  const answer = (await io.ask('Trust this host key? [y/N] ')).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') {
    io.err('Not trusted: nothing was pinned. Commands to this NAS are refused until its host key is confirmed.');
    return exitCodes.confirmationRequired;
  }
  await invoke(core, 'confirmHostKey', { connectionId: connection.id, sha256: key.sha256 });
  if (!output.json) io.out(`pinned ${connection.name}'s host key ${key.sha256}`);
  return exitCodes.ok;
}

async function readPassword(env: CliEnvironment, connection: Connection, fromStdin: boolean): Promise<string> {
  const { io } = env;
  if (fromStdin) {
    const password = await io.readStdinLine();
    if (password.length === 0) throw new AppFailure('INVALID_REQUEST', 'No password on stdin.', `Pipe the password of ${connection.username}@${connection.host} as the first line, e.g. from a secrets manager.`);
    return password;
  }
  if (!io.interactive) {
    throw new AppFailure('INVALID_REQUEST', 'No terminal to ask for the password on.', 'Pipe it on stdin with --password-stdin (never as an argument: it would show in the process list and the shell history).');
  }
  return io.askSecret(`Password of ${connection.username}@${connection.host} (used once to install the app's key, not stored): `);
}

export async function connectionCommand(argv: string[], env: CliEnvironment): Promise<number> {
  const [command, ...rest] = argv;
  const { io } = env;
  if (!command || command === '-h' || command === '--help' || command === 'help') {
    io.out(connectionUsage);
    return command ? exitCodes.ok : exitCodes.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...common,
        ...endpointOptions,
        name: { type: 'string' },
        'no-trust': { type: 'boolean', default: false },
        'password-stdin': { type: 'boolean', default: false },
        password: { type: 'string' },
        address: { type: 'string' },
        'reverse-address': { type: 'string' },
        both: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    return usageError(io, (error as Error).message, connectionUsage);
  }
  const { values, positionals } = parsed;
  const output: Output = { json: values.json, verbose: values.verbose };
  if (values.help) {
    io.out(connectionUsage);
    return exitCodes.ok;
  }
  if (values.password !== undefined) {
    return usageError(io, 'A password is never taken as an argument (it would show in the process list and the shell history).', 'Use "connection install-key NAME" to be asked on the terminal, or pipe it: ... | zfs-replication connection install-key NAME --password-stdin');
  }
  const arity: Record<string, number> = { list: 0, add: 1, edit: 1, remove: 1, test: 1, trust: 1, 'install-key': 1, 'nas-trust': 2, 'nas-untrust': 2 };
  const wanted = arity[command];
  if (wanted === undefined) return usageError(io, `unknown connection command "${command}"`, connectionUsage);
  if (positionals.length !== wanted) return usageError(io, `"connection ${command}" takes ${wanted === 0 ? 'no name' : wanted === 1 ? 'one connection name' : 'two connection names'}.`, connectionUsage);
  const [first, second] = positionals as [string, string];

  return withErrors(output, io, async () => {
    const core = await env.openCore({ create: command === 'add' });
    switch (command) {
      case 'list': {
        const connections = await invoke(core, 'listConnections', {});
        if (output.json) io.out(JSON.stringify({ ok: true, connections }, null, 2));
        else if (connections.length === 0) io.out('no connections (add one: zfs-replication connection add NAME --host HOST)');
        else for (const connection of connections) io.out(describe(connection));
        return exitCodes.ok;
      }
      case 'add': {
        if (!values.host) return usageError(io, '"connection add" needs --host (the NAS\'s name or address).', connectionUsage);
        const auth = authOf(values);
        const port = parsePort(values.port);
        const privilege = privilegeOf(values.privilege);
        const saved = await invoke(core, 'saveConnection', {
          name: first,
          host: values.host,
          ...(port === undefined ? {} : { port }),
          ...(values.user === undefined ? {} : { username: values.user }),
          ...(auth === undefined ? {} : { auth }),
          ...(privilege === undefined ? {} : { privilege }),
        });
        if (output.json) io.out(JSON.stringify({ ok: true, connection: saved }, null, 2));
        else io.out(`saved ${describe(saved)}`);
        if (values['no-trust']) return exitCodes.ok;
        const trusted = await trustHostKey(core, env, saved, values.fingerprint, output);
        if (trusted === exitCodes.ok && saved.auth.kind === 'app-key' && !output.json) io.out(`next: install the app's key on it: zfs-replication connection install-key ${saved.name}`);
        return trusted;
      }
      case 'edit': {
        const existing = await connectionByRef(core, first);
        const auth = authOf(values);
        const port = parsePort(values.port);
        const privilege = privilegeOf(values.privilege);
        const saved = await invoke(core, 'saveConnection', {
          id: existing.id,
          name: values.name ?? existing.name,
          host: values.host ?? existing.host,
          port: port ?? existing.port,
          username: values.user ?? existing.username,
          auth: auth ?? existing.auth,
          privilege: privilege ?? existing.privilege,
        });
        if (output.json) io.out(JSON.stringify({ ok: true, connection: saved }, null, 2));
        else io.out(`saved ${describe(saved)}`);
        if (values.fingerprint !== undefined) return trustHostKey(core, env, saved, values.fingerprint, output);
        if (existing.hostKey && !saved.hostKey && !output.json) io.err(`The address changed, so the pinned host key no longer applies: zfs-replication connection trust ${saved.name}`);
        return exitCodes.ok;
      }
      case 'remove': {
        const existing = await connectionByRef(core, first);
        const { removed } = await invoke(core, 'removeConnection', { id: existing.id });
        if (output.json) io.out(JSON.stringify({ ok: true, removed }));
        else io.out(removed ? `removed ${existing.name} (nothing on the NAS was touched)` : `${existing.name} was already gone`);
        return exitCodes.ok;
      }
      case 'test': {
        const connection = await connectionByRef(core, first);
        const result = await invoke(core, 'testConnection', { connectionId: connection.id });
        if (output.json) io.out(JSON.stringify({ ok: true, ...result }, null, 2));
        else io.out(`${connection.name}: logged in in ${Math.round(result.handshakeMs)} ms${result.cipher ? ` (${result.cipher})` : ''}; ${result.os}, ${result.zfsVersion}${result.jsonOutput ? ', zfs JSON output' : ''}; host key ${result.hostKey.sha256}`);
        return exitCodes.ok;
      }
      case 'trust': {
        const connection = await connectionByRef(core, first);
        return trustHostKey(core, env, connection, values.fingerprint, output);
      }
      case 'install-key': {
        const connection = await connectionByRef(core, first);
        if (connection.auth.kind !== 'app-key') {
          throw new AppFailure('INVALID_REQUEST', `${connection.name} logs in with ${connection.auth.kind === 'agent' ? 'the ssh agent' : `the key file ${connection.auth.keyPath}`}, not the app's key.`, `Switch it first: zfs-replication connection edit ${connection.name} --app-key`);
        }
        const password = await readPassword(env, connection, values['password-stdin']);
        const unsubscribe = core.bus.subscribe((name, payload) => {
          if (name !== 'keyExchangeStep' || output.json || !output.verbose) return;
          const step = payload as { connectionId: string; step: string; status: string; detail?: string };
          if (step.connectionId === connection.id) io.err(`${step.step}: ${step.status}${step.detail ? ` (${step.detail})` : ''}`);
        });
        try {
          const result = await invoke(core, 'installAppKey', { connectionId: connection.id, password });
          if (output.json) io.out(JSON.stringify({ ok: true, ...result }, null, 2));
          else io.out(`${result.added ? "installed the app's key on" : "the app's key was already on"} ${connection.username}@${connection.host}; a key-only login works (${Math.round(result.keyLoginMs)} ms)`);
          return exitCodes.ok;
        } finally {
          unsubscribe();
        }
      }
      case 'nas-trust': {
        if (!values.address) return usageError(io, '"connection nas-trust" needs --address: how the source NAS reaches the destination (HOST[:PORT]).', connectionUsage);
        const source = await connectionByRef(core, first);
        const destination = await connectionByRef(core, second);
        const result = await invoke(core, 'establishNasTrust', {
          sourceConnectionId: source.id,
          destinationConnectionId: destination.id,
          destinationAddress: parseAddress(values.address),
          ...(values['reverse-address'] ? { reverseAddress: parseAddress(values['reverse-address']) } : {}),
        });
        if (output.json) io.out(JSON.stringify({ ok: true, ...result }, null, 2));
        else for (const direction of result.directions) io.out(`${direction.from} can now log in to ${direction.to} for direct replication`);
        return exitCodes.ok;
      }
      case 'nas-untrust': {
        const source = await connectionByRef(core, first);
        const destination = await connectionByRef(core, second);
        const result = await invoke(core, 'removeNasTrust', { sourceConnectionId: source.id, destinationConnectionId: destination.id, bothDirections: values.both });
        if (output.json) io.out(JSON.stringify({ ok: true, ...result }));
        else io.out(`removed NAS-to-NAS trust (${result.directions} direction${result.directions === 1 ? '' : 's'})`);
        return exitCodes.ok;
      }
    }
    return exitCodes.usage;
  });
}
