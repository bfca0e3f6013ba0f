// action.yml is the Action's public contract: every input and output is read by the code and documented.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO } from './harness.js';

interface ActionYml {
  runs: { using: string; main: string };
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
}

describe('action.yml', () => {
  it('runs the committed ncc bundle on node24, as an ES module', async () => {
    const yml = parse(await readFile(path.join(REPO, 'action.yml'), 'utf8')) as ActionYml;
    expect(yml.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    const pkg = JSON.parse(await readFile(path.join(REPO, 'dist', 'package.json'), 'utf8')) as {
      type?: string;
    };
    expect(pkg.type).toBe('module');
  });

  it('documents every input and output, and the code reads every input and sets every output', async () => {
    const yml = parse(await readFile(path.join(REPO, 'action.yml'), 'utf8')) as ActionYml;
    const code = (
      await Promise.all(
        ['action/inputs.ts', 'action/main.ts'].map((f) => readFile(path.join(REPO, f), 'utf8')),
      )
    ).join('\n');
    const docs = await readFile(path.join(REPO, 'docs', 'action.md'), 'utf8');
    for (const [name, spec] of Object.entries(yml.inputs)) {
      expect(spec.description.length, name).toBeGreaterThan(10);
      expect(code, `input ${name}`).toContain(`'${name}'`);
      expect(docs, `docs for input ${name}`).toContain(`| \`${name}\` |`);
    }
    for (const [name, spec] of Object.entries(yml.outputs)) {
      expect(spec.description.length, name).toBeGreaterThan(10);
      expect(code, `output ${name}`).toContain(`setOutput('${name}'`);
      expect(docs, `docs for output ${name}`).toContain(`| \`${name}\` |`);
    }
    expect(yml.inputs['github-token']?.default).toBe('${{ github.token }}');
    expect(yml.inputs['release-keep']?.default).toBe('10');
  });
});
