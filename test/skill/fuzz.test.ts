// Fuzzing the frontmatter parser: random text, bytes, deep nesting and huge lines never throw or hang.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchKeyLine, parseFrontmatter } from '../../core/skill/frontmatter.js';
import { validateSkillMd } from '../../core/skill/validate.js';

/** Generous per-call budget: only a hang or a pathological (super-linear) blow-up can exceed it. */
const HANG_BUDGET_MS = 5_000;

function bounded(input: Uint8Array | string): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const started = performance.now();
  const r = validateSkillMd(bytes, { file: 'f/SKILL.md', folderName: 'f' });
  const elapsed = performance.now() - started;
  expect(elapsed).toBeLessThan(HANG_BUDGET_MS);
  expect(typeof r.name).toBe('string');
  for (const f of r.findings) {
    expect(f.line).toBeGreaterThanOrEqual(1);
    expect(f.column).toBeGreaterThanOrEqual(1);
  }
}

const yamlish = fc.stringMatching(/^[a-z:\-[\]{}&*!|>'" \n#,?%@`\t\u2028]{0,200}$/);

describe('frontmatter fuzz', () => {
  it('random text inside a frontmatter block', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (s) => bounded(`---\n${s}\n---\nbody`)),
      { numRuns: 400 },
    );
  });

  it('YAML-ish punctuation soup', () => {
    fc.assert(
      fc.property(yamlish, (s) => bounded(`---\n${s}\n---\n`)),
      { numRuns: 600 },
    );
  });

  it('arbitrary bytes, including invalid UTF-8, with and without a frontmatter prefix', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, prefix) =>
        bounded(prefix ? Buffer.concat([Buffer.from('---\nname: '), bytes, Buffer.from('\n---\n')]) : bytes),
      ),
      { numRuns: 400 },
    );
  });

  it('deeply nested flow and block YAML', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{', 'block'), (depth, kind) => {
        const block =
          kind === '['
            ? `a: ${'['.repeat(depth)}${']'.repeat(depth)}`
            : kind === '{'
              ? `a: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`
              : Array.from({ length: Math.min(depth, 2_000) }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n');
        bounded(`---\ndescription: d\n${block}\n---\n`);
      }),
      { numRuns: 25 },
    );
  });

  it('huge lines: long values, long whitespace runs before a line separator, many keys', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_000, max: 250_000 }),
        fc.constantFrom('value', 'spaces', 'keys'),
        (n, kind) => {
          const body =
            kind === 'value'
              ? `description: ${'x: '.repeat(n / 3)}`
              : kind === 'spaces'
                ? `description:${' '.repeat(n)}x\u2028y`
                : Array.from({ length: n / 10 }, (_, i) => `k${i}: v`).join('\n');
          bounded(`---\n${body}\n---\n`);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('alias bombs are refused, not expanded', () => {
    const levels = Array.from(
      { length: 10 },
      (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(',')}]`,
    );
    const text = `---\nl0: &l0 [x]\n${levels.join('\n')}\ndescription: d\n---\n`;
    bounded(text);
    expect(parseFrontmatter(text, 'f').status).not.toBe('yaml');
  });
});

describe('line fallback matcher', () => {
  const openclaw = /^([\w-]+):\s*(.*)$/;
  it('agrees with OpenClaw’s regex on random lines', () => {
    const line = fc.stringMatching(/^[a-z_ :\t\u2028\u2029\r-]{0,30}$/);
    fc.assert(
      fc.property(line, (l) => {
        const m = openclaw.exec(l);
        expect(matchKeyLine(l)).toEqual(m ? [m[1], m[2]] : undefined);
      }),
      { numRuns: 2_000 },
    );
  });
});
