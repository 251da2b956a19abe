import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openConfStore } from '../../../../../electron/services/store/open-conf-store.ts';
import { AppFailure } from '../../../../../shared/result.ts';

// Issue 11 item 7: an admin edits config.json by hand and puts values in a task that the app would never have
// saved. Asking for that task refuses it by field and value (INVALID_REQUEST: the CLI's exit 2), before anything
// connects; the other tasks of the file are unaffected.

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'zrd-hand-edit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it.each([
  ['sources', [{ name: '-tank/docs', recursive: false, exclude: [] }], 'sources[0].name: Dataset name "-tank/docs" starts with "-".'],
  ['selection', { kind: 'naming-schema', schemas: ['$(reboot)-%Y-%m-%d_%H-%M'] }, 'selection.schemas[0]: "$" cannot appear in a ZFS snapshot name'],
  ['transport', { kind: 'direct', destinationHost: 'nas-b', destinationPort: 22, destinationUser: '$(touch /tmp/x)' }, 'transport.destinationUser: User name "$(touch /tmp/x)" starts with "$"'],
  ['properties', { replicate: true, exclude: [], override: { 'com.example:note': 'a\u0000b' } }, 'properties.override.com.example:note: Property value "a\\u0000b" contains a NUL character (U+0000)'],
])('a task whose %s was edited by hand is refused by name; the others still load', (field, value, says) => {
  const store = openConfStore(dir);
  const a = store.saveConnection({ name: 'a', host: 'a' });
  const b = store.saveConnection({ name: 'b', host: 'b' });
  const base = { sourceConnectionId: a.id, sources: [{ name: 'tank/docs' }], destinationConnectionId: b.id, destinationParent: 'backup/replicas', transport: { kind: 'relay' as const }, selection: { kind: 'all' as const } };
  store.saveTask({ ...base, name: 'edited' });
  const other = store.saveTask({ ...base, name: 'untouched' });

  const file = path.join(dir, 'config.json');
  const data = JSON.parse(readFileSync(file, 'utf8'));
  data.tasks[0][field] = value;
  writeFileSync(file, JSON.stringify(data));

  const reopened = openConfStore(dir);
  expect(reopened.recovery).toBeNull();
  const failure = (() => {
    try {
      reopened.getTask('edited');
    } catch (error) {
      return error;
    }
    return null;
  })();
  expect(failure).toBeInstanceOf(AppFailure);
  expect((failure as AppFailure).code).toBe('INVALID_REQUEST');
  expect((failure as AppFailure).message).toContain('Task "edited" is not valid: ');
  expect((failure as AppFailure).message).toContain(says);
  expect(reopened.getTask('untouched')).toEqual(other);
});
