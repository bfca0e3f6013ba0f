// The published JSON Schemas (schemas/*.json), compiled by the one Ajv instance of the process (docs/decisions.md).
// They are imported, not read at run time, so the CLI, the Action bundle and the receiver apply the same files.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import frontmatter from '../schemas/frontmatter.schema.json' with { type: 'json' };
import skillsync from '../schemas/skillsync.schema.json' with { type: 'json' };
import sync from '../schemas/sync.schema.json' with { type: 'json' };

const SCHEMAS = { frontmatter, skillsync, sync };
export type SchemaName = keyof typeof SCHEMAS;

let ajv: Ajv2020 | undefined;

/**
 * The validator of a published schema, or of one of its `$defs`. Ajv compiles each on first use and keeps it:
 * compiling is the expensive part, validating 10k skills is cheap.
 */
export function schemaValidator<T = unknown>(name: SchemaName, def?: string): ValidateFunction<T> {
  // validateSchema off: the meta-schema check is done once, in CI (test/skill/schemas.test.ts), not on every run.
  // allowUnionTypes: frontmatter `metadata` is documented as a map or a string.
  ajv ??= new Ajv2020({
    allErrors: true,
    strict: true,
    allowUnionTypes: true,
    validateSchema: false,
  }).addSchema(Object.values(SCHEMAS));
  const id = SCHEMAS[name].$id + (def ? `#/$defs/${def}` : '');
  const validate = ajv.getSchema<T>(id);
  if (!validate) throw new Error(`schema ${id} is not published`);
  return validate;
}
