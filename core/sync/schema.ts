// Loads schemas/sync.schema.json, the one published JSON Schema for SYNC.json, and compiles it with ajv once.
// The file is read (not copied into code) so that editors, CI and the CLI apply exactly the same rules.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';

export const SYNC_SCHEMA_FILE = 'schemas/sync.schema.json';

/** Walks up from this module: the source tree (core/sync) and the build (lib/core/sync) sit at different depths. */
export function findSyncSchemaPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, SYNC_SCHEMA_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(
        `config/schema-missing: ${SYNC_SCHEMA_FILE} not found above ${fileURLToPath(import.meta.url)}`,
      );
    dir = parent;
  }
}

let compiled: ValidateFunction | undefined;

export function syncSchemaValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(findSyncSchemaPath(), 'utf8')) as object;
    // The meta-schema check is done once in CI (test/skill/schemas.test.ts), not on every run.
    compiled = new Ajv({ allErrors: true, strict: true, validateSchema: false }).compile(schema);
  }
  return compiled;
}
