// The published JSON Schemas are valid against their meta-schemas (the product skips that check at run time).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
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

  it('sync.schema.json is a valid draft-07 schema and compiles strictly', () => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema(load('sync.schema.json'))).toBe(true);
    expect(() => ajv.compile(load('sync.schema.json'))).not.toThrow();
  });
});
