import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { regenerateReadme, schemaFiles, schemaFileText } from '../../../scripts/readme-schemas.ts';

// The README documents the task-file fields and docs/schemas/ holds their JSON Schemas, both generated from the zod
// schemas the CLI validates with: this fails when either is stale (fix: node scripts/readme-schemas.ts --write).

const root = path.resolve(import.meta.dirname, '..', '..', '..');

describe('generated task-file documentation', () => {
  it('the README field lists match the schemas', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(regenerateReadme(readme)).toBe(readme);
  });

  it.each(Object.keys(schemaFiles))('%s matches the schema', (file) => {
    expect(readFileSync(path.join(root, file), 'utf8')).toBe(schemaFileText(file));
  });
});
