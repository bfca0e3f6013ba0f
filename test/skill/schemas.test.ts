// The published JSON Schemas are valid against their meta-schemas (the product skips that check at run time).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { schemaValidator } from '../../core/schemas.js';
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
});
