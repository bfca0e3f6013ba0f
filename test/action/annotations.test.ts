// Annotation slots in-process: closing warnings fit GitHub's cap, and annotate() leaves the reserved slots free.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { annotate, closingWarnings } from '../../action/annotations.js';
import type { Finding } from '../../core/findings.js';
import { parseCommands } from './harness.js';

const warning = (i: number): Finding => ({
  severity: 'warning',
  rule: 'frontmatter/bom',
  file: `s-${String(i).padStart(2, '0')}/SKILL.md`,
  line: 1,
  column: 1,
  message: 'BOM',
});

describe('closingWarnings', () => {
  it('keeps up to 10 as they are and joins the overflow into the tenth', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `w${i}`);
    expect(closingWarnings(ten)).toEqual(ten);
    const twelve = Array.from({ length: 12 }, (_, i) => `w${i}`);
    const out = closingWarnings(twelve);
    expect(out).toHaveLength(10);
    expect(out[9]).toBe('w9\nw10\nw11');
  });
});

describe('annotate', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes the reserved slots off the cap and counts the rest in a notice', () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
      out += String(c);
      return true;
    });
    const counts = annotate(
      Array.from({ length: 12 }, (_, i) => warning(i)),
      { reserve: { error: 1, warning: 3 }, changedFiles: new Set(['s-11/SKILL.md']) },
    );
    vi.restoreAllMocks();
    expect(counts).toEqual({ shown: { error: 0, warning: 7 }, hidden: { error: 0, warning: 5 } });
    const cmds = parseCommands(out);
    expect(cmds.filter((c) => c.command === 'warning').map((c) => c.props.file)).toEqual([
      's-11/SKILL.md',
      ...[0, 1, 2, 3, 4, 5].map((i) => `s-0${i}/SKILL.md`),
    ]);
    expect(cmds.find((c) => c.command === 'notice')?.message).toMatch(
      /^0 more error\(s\) and 5 more warning\(s\)/,
    );
  });
});
