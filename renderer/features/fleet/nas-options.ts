import type { Connection } from '../../../shared/schemas.ts';

/** A saved NAS as every NAS picker shows it: its name, and the login it is reached by. */
export function nasPickerOptions(connections: readonly Pick<Connection, 'id' | 'name' | 'username' | 'host' | 'port'>[]): Array<{ id: string; label: string; description: string }> {
  return connections.map((c) => ({ id: c.id, label: c.name, description: `${c.username}@${c.host}:${c.port}` }));
}
