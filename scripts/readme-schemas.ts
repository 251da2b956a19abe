// The task-file documentation, generated from the zod schemas the CLI validates with (shared/portable-config.ts), so
// it cannot drift: the README's field lists between the `<!-- generated:… -->` markers and the full JSON Schemas in
// docs/schemas/. `node scripts/readme-schemas.ts --write` regenerates them; a unit test fails when they are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { portableConfigJsonSchema, snapshotTaskFileJsonSchema, taskFileJsonSchema } from '../shared/portable-config.ts';

type Json = { [key: string]: unknown };

const root = path.resolve(import.meta.dirname, '..');

/** One value's shape in a few words: `"none" | "lz4"`, `string`, `{ kind: "relay" } | { kind: "direct", … }`. */
function shape(schema: Json, depth = 0): string {
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) {
    const options = ((schema.oneOf ?? schema.anyOf) as Json[]).map((option) => shape(option, depth));
    return [...new Set(options)].join(' | ');
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
  const type = schema.type;
  if (type === 'array') return `array of ${shape((schema.items ?? {}) as Json, depth)}`;
  if (type === 'object' && schema.properties) {
    const required = new Set((schema.required as string[] | undefined) ?? []);
    const fields = Object.entries(schema.properties as Record<string, Json>).map(([name, field]) => {
      if (field.const !== undefined) return `${name}: ${JSON.stringify(field.const)}`;
      const fallback = field.default === undefined ? '' : ` = ${JSON.stringify(field.default)}`;
      return `${name}${required.has(name) || fallback ? '' : '?'}${depth < 1 && !fallback ? `: ${shape(field, depth + 1)}` : fallback}`;
    });
    return `{ ${fields.join(', ')} }`;
  }
  if (type === 'object') return 'object of string values';
  if (type === 'null') return 'null';
  if (Array.isArray(type)) return type.join(' | ');
  if (typeof type === 'string') return type;
  return 'any';
}

function limits(schema: Json): string {
  const notes: string[] = [];
  if (typeof schema.minLength === 'number' && typeof schema.maxLength === 'number') notes.push(`${schema.minLength}–${schema.maxLength} characters`);
  else if (typeof schema.minLength === 'number' && schema.minLength > 0) notes.push('not empty');
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number') notes.push(`${schema.minimum}–${schema.maximum}`);
  if (typeof schema.minItems === 'number' && schema.minItems > 0) notes.push(`at least ${schema.minItems}`);
  return notes.length > 0 ? ` (${notes.join(', ')})` : '';
}

/** A markdown list of a file schema's top-level fields: name, required or default, shape. */
export function fieldList(schema: Json): string {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(schema.properties as Record<string, Json>)
    .map(([name, field]) => {
      const status = required.has(name) ? 'required' : field.default !== undefined ? `default \`${JSON.stringify(field.default)}\`` : 'optional';
      return `- \`${name}\` (${status}): \`${shape(field)}\`${limits(field)}`;
    })
    .join('\n');
}

export const generatedBlocks: Record<string, () => string> = {
  'task-file-fields': () => fieldList(taskFileJsonSchema() as Json),
  'snapshot-task-file-fields': () => fieldList(snapshotTaskFileJsonSchema() as Json),
};

export const schemaFiles: Record<string, () => unknown> = {
  'docs/schemas/task-file.schema.json': taskFileJsonSchema,
  'docs/schemas/snapshot-task-file.schema.json': snapshotTaskFileJsonSchema,
  'docs/schemas/export.schema.json': portableConfigJsonSchema,
};

/** The README with every generated block replaced by what the schemas say now. */
export function regenerateReadme(text: string): string {
  let out = text;
  for (const [name, generate] of Object.entries(generatedBlocks)) {
    const pattern = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(\\n<!-- /generated:${name} -->)`);
    if (!pattern.test(out)) throw new Error(`README.md has no <!-- generated:${name} --> block`);
    out = out.replace(pattern, (_match, begin: string, end: string) => `${begin}${generate()}${end}`);
  }
  return out;
}

export function schemaFileText(file: string): string {
  return `${JSON.stringify(schemaFiles[file]!(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.argv.includes('--write')) {
    console.error('usage: node scripts/readme-schemas.ts --write   (regenerates the README field lists and docs/schemas/*.json)');
    process.exit(2);
  }
  const readme = path.join(root, 'README.md');
  writeFileSync(readme, regenerateReadme(readFileSync(readme, 'utf8')));
  for (const file of Object.keys(schemaFiles)) writeFileSync(path.join(root, file), schemaFileText(file));
  console.log('README.md and docs/schemas/ regenerated');
}
