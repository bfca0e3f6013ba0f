// Secret rules: every rule's fake token is found in SKILL.md prose, in scripts and in code blocks, at the exact spot.
import { describe, expect, it } from 'vitest';
import { scanText, secretRules } from '../../core/secrets/scan.js';
import { fakes, type Fake } from './fakes.js';

/** Where the secret must be reported when `snippet` starts at (line, column) of a document. */
function expectedAt(f: Fake, line: number, column: number): { line: number; column: number } {
  const offset = f.snippet.indexOf(f.secret);
  const before = f.snippet.slice(0, offset);
  const newlines = before.split('\n').length - 1;
  return newlines === 0
    ? { line, column: column + offset }
    : { line: line + newlines, column: offset - before.lastIndexOf('\n') };
}

interface Context {
  name: string;
  file: string;
  build(snippet: string): { text: string; line: number; column: number };
}

const contexts: Context[] = [
  {
    name: 'SKILL.md body',
    file: 'skills/deploy/SKILL.md',
    build: (snippet) => {
      const head = [
        '---',
        'name: deploy',
        'description: Deploys the app',
        '---',
        '',
        '# Deploy',
        '',
        '## Credentials',
      ];
      const prefix = 'Call the API with ';
      const text = [...head, '', prefix + snippet + ' as shown.', '', '## Notes', 'Done.'].join('\n');
      return { text, line: head.length + 2, column: prefix.length + 1 };
    },
  },
  {
    name: 'shell script',
    file: 'skills/deploy/scripts/run.sh',
    build: (snippet) => {
      const head = ['#!/usr/bin/env bash', 'set -euo pipefail', ''];
      const prefix = 'CONFIG="';
      const text = [...head, prefix + snippet + '"', 'curl -fsS "$URL"', ''].join('\n');
      return { text, line: head.length + 1, column: prefix.length + 1 };
    },
  },
  {
    name: 'python script (CRLF)',
    file: 'skills/deploy/scripts/run.py',
    build: (snippet) => {
      const head = ['import os', '', 'def main():'];
      const prefix = '    value = """';
      const text = [...head, prefix + snippet + '"""', '    print(value)', ''].join('\r\n');
      // CRLF inside the snippet too, as a Windows checkout would have it.
      return { text: text.replace(/(?<!\r)\n/g, '\r\n'), line: head.length + 1, column: prefix.length + 1 };
    },
  },
  {
    name: 'fenced code block',
    file: 'skills/deploy/references/setup.md',
    build: (snippet) => {
      const head = ['# Setup', '', '```python', 'from client import Client', ''];
      const prefix = 'client = Client(';
      const text = [...head, prefix + snippet + ')', '```', ''].join('\n');
      return { text, line: head.length + 1, column: prefix.length + 1 };
    },
  },
];

describe('every secret rule', () => {
  const all = fakes(1);

  it('has a fake token for every rule and a documented rule for every fake', () => {
    expect(all.map((f) => `secret/${f.rule}`).sort()).toEqual(secretRules.map((r) => r.id).sort());
  });

  for (const f of all) {
    for (const ctx of contexts) {
      it(`finds ${f.rule} in a ${ctx.name}`, () => {
        const { text, line, column } = ctx.build(f.snippet);
        const findings = scanText(text, ctx.file);
        // The python context turns LF into CRLF inside multi-line snippets; columns are unaffected.
        expect(findings).toHaveLength(1);
        const [finding] = findings;
        expect(finding).toMatchObject({
          severity: 'error',
          rule: `secret/${f.rule}`,
          file: ctx.file,
          ...expectedAt(f, line, column),
        });
        expect(finding!.message).toContain(f.secret.slice(0, 4) + '…');
        expect(finding!.message).toMatch(/\(fingerprint [0-9a-f]{16}\)$/);
        expect(finding!.fix).toMatch(/rotate/);
        expect(JSON.stringify(findings)).not.toContain(f.secret);
      });
    }
  }

  it('finds tokens from many random seeds (no fake depends on luck)', () => {
    for (let seed = 2; seed < 60; seed++) {
      for (const f of fakes(seed)) {
        const findings = scanText(`x ${f.snippet} y`, 'a.md');
        expect(
          findings.map((x) => x.rule),
          `seed ${seed}`,
        ).toEqual([`secret/${f.rule}`]);
      }
    }
  });

  it('reports every secret in a file, each at its own position', () => {
    const lines = all.map((f) => f.snippet);
    const text = lines.join('\n\n');
    const findings = scanText(text, 'all.md');
    expect(findings.map((x) => x.rule)).toEqual(all.map((f) => `secret/${f.rule}`));
    const stringified = JSON.stringify(findings);
    for (const f of all) expect(stringified).not.toContain(f.secret);
  });
});
