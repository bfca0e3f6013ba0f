// The published JSON Schemas are valid against their meta-schemas (the product skips that check at run time).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { schemaValidator } from '../../core/schemas.js';
import { VALIDATORS, validatorsSource } from '../../scripts/schema-validators.js';
import { REPO } from '../support/receiver.js';

const load = (name: string) => JSON.parse(readFileSync(path.join(REPO, 'schemas', name), 'utf8')) as object;

describe('published schemas', () => {
  it('frontmatter.schema.json is a valid 2020-12 schema', () => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(load('frontmatter.schema.json'))).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
    // And a broken one is caught by the same check.
    expect(ajv.validateSchema({ type: 'no-such-type' })).toBe(false);
  });

  it('sync and .skillsync.yml schemas are valid 2020-12 schemas, like the frontmatter one', () => {
    const ajv = new Ajv2020({ strict: false });
    for (const name of ['sync.schema.json', 'skillsync.schema.json']) {
      expect(ajv.validateSchema(load(name)), name).toBe(true);
      expect(load(name)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema' });
    }
  });

  it("every published schema and $def compiles strictly in the product's one Ajv instance", () => {
    for (const [name, def] of [
      ['frontmatter'],
      ['frontmatter', 'agentskills'],
      ['skillsync'],
      ['sync'],
    ] as const)
      expect(typeof schemaValidator(name, def), `${name} ${def ?? ''}`).toBe('function');
    expect(() => schemaValidator('sync', 'no-such-def')).toThrow(/not published/);
  });

  it('core/schema-validators.ts is what the generator makes of the schemas today', () => {
    const committed = readFileSync(path.join(REPO, 'core', 'schema-validators.ts'), 'utf8');
    expect(
      committed === validatorsSource(),
      'stale: npx tsc -p tsconfig.build.json && node lib/scripts/schema-validators.js',
    ).toBe(true);
  });

  it('the compiled validators answer as Ajv compiling the schemas at run time, errors included', () => {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateSchema: false });
    ajv.addSchema(['frontmatter', 'skillsync', 'sync'].map((n) => load(`${n}.schema.json`)));
    const value = fc.oneof(
      fc.string(),
      // Astral characters count once in minLength/maxLength: the inlined ucs2length.
      fc.string({ unit: 'grapheme', maxLength: 70 }),
      fc.stringMatching(/^[a-z0-9-]{0,70}$/),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer()), { maxKeys: 3 }),
    );
    const keys = [
      'name',
      'description',
      'version',
      'metadata',
      'compatibility',
      'user-invocable',
      'outputFile',
    ];
    const doc = fc.oneof(fc.dictionary(fc.constantFrom(...keys), value), value);
    for (const [exported, id] of Object.entries(VALIDATORS)) {
      const [name, def] = exported.split('_') as ['frontmatter' | 'skillsync' | 'sync', string | undefined];
      const ours = schemaValidator(name, def);
      const reference = ajv.getSchema(id)!;
      fc.assert(
        fc.property(doc, (data) => {
          expect(ours(data)).toBe(reference(data));
          expect(ours.errors ?? null).toEqual(reference.errors ?? null);
        }),
        { numRuns: 300 },
      );
    }
  });
});
