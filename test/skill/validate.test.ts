// SKILL.md rules: every frontmatter/encoding rule with a failing and a passing case, at exact line:column.
import { describe, expect, it } from 'vitest';
import { validateSkillMd, type SkillMdContext } from '../../core/skill/validate.js';
import { SKILL_RULES, listSkillRules } from '../../core/skill/rules.js';

const enc = (s: string) => Buffer.from(s, 'utf8');
function check(text: string | Buffer, ctx: Partial<SkillMdContext> = {}) {
  const bytes = typeof text === 'string' ? enc(text) : text;
  return validateSkillMd(bytes, { file: 'x/SKILL.md', folderName: 'x', ...ctx });
}
/** `rule@line:col` of every finding, for exact position assertions. */
function at(text: string | Buffer, ctx: Partial<SkillMdContext> = {}) {
  return check(text, ctx).findings.map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column}`);
}
const GOOD = '---\nname: x\ndescription: Does x.\n---\n# x\n';

describe('valid SKILL.md', () => {
  it('has no findings under every profile and reads name, description, version', () => {
    const text = '---\nname: x\nversion: "1.0"\ndescription: Does x.\n---\n# x\n';
    for (const profile of ['openclaw', 'agentskills', 'strict'] as const)
      expect(at(text, { profile })).toEqual([]);
    const r = check(text);
    expect([r.name, r.description, r.version]).toEqual(['x', 'Does x.', '1.0']);
  });
});

describe('frontmatter/missing', () => {
  it('fails without a leading --- at 1:1', () => {
    expect(at('# x\n\ndescription: no\n')).toEqual(['error frontmatter/missing@1:1']);
  });
  it('passes with it', () => expect(at(GOOD)).toEqual([]));
});

describe('frontmatter/unclosed', () => {
  it('fails when the block never closes', () => {
    expect(at('---\nname: x\ndescription: y\n')).toEqual(['error frontmatter/unclosed@1:1']);
  });
  it('passes when closed, even at end of file without newline', () => {
    expect(at('---\nname: x\ndescription: y\n---')).toEqual([]);
  });
});

describe('frontmatter/empty', () => {
  it('fails on an empty block', () => {
    expect(at('---\n---\n# x\n')).toEqual(['error frontmatter/empty@1:1']);
    // Blank lines are not empty to the gateway: YAML reads no mapping, so it drops the skill all the same.
    expect(at('---\n\n  \n---\n')).toEqual(['error frontmatter/yaml-invalid@2:1']);
  });
  it('passes with a field', () => expect(at('---\ndescription: d\n---\n')).toEqual([]));
});

describe('frontmatter/repaired', () => {
  const text = '---\nname: x\ndescription: Use this: when the user asks\n---\n';
  it('warns at the description line with the quoted fix, and reads what the gateway reads', () => {
    const r = check(text);
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect([f.severity, f.rule, f.line, f.column]).toEqual(['warning', 'frontmatter/repaired', 3, 1]);
    expect(f.fix).toBe('quote the value: description: "Use this: when the user asks"');
    expect(r.description).toBe('Use this: when the user asks');
    expect(r.loads).toBe(true);
  });
  it('passes once quoted', () => {
    expect(at('---\nname: x\ndescription: "Use this: when the user asks"\n---\n')).toEqual([]);
  });
  it('keeps positions with CRLF line endings', () => {
    expect(at(text.replace(/\n/g, '\r\n'))).toEqual(['warning frontmatter/repaired@3:1']);
  });
  it('does not repair any other key: the gateway drops the skill (the user repo’s argument-hint)', () => {
    const r = check('---\ndescription: ok\nargument-hint: "[topic] for [tool]" or "[topic]"\n---\n');
    expect(r.findings.map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column}`)).toEqual([
      'error frontmatter/yaml-invalid@3:37',
    ]);
    expect(r.findings[0]?.message).toContain('invalid frontmatter: UNEXPECTED_TOKEN');
    expect(r.findings[0]?.fix).toBe(`quote the value: argument-hint: '"[topic] for [tool]" or "[topic]"'`);
    expect(r.loads).toBe(false);
  });
  it('fails on a duplicate key, which the gateway refuses', () => {
    expect(at('---\nname: x\nname: y\ndescription: d\n---\n')).toEqual([
      'error frontmatter/yaml-invalid@3:1',
    ]);
  });
});

describe('frontmatter/yaml-reading', () => {
  it('warns when YAML takes part of the description as a comment, an anchor or a tag', () => {
    const r = check('---\ndescription: Tune the C# build # fast\n---\n');
    expect(r.findings.map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column}`)).toEqual([
      'warning frontmatter/yaml-reading@2:1',
    ]);
    expect(r.description).toBe('Tune the C# build');
    expect(r.findings[0]?.fix).toBe('quote the value if it is text: description: "Tune the C# build # fast"');
    expect(at('---\ndescription: &a Anchored\n---\n')).toEqual(['warning frontmatter/yaml-reading@2:1']);
    expect(at('---\ndescription: !note Tagged\n---\n')).toEqual(['warning frontmatter/yaml-reading@2:1']);
  });
  it('passes for plain text and quoted text', () => {
    expect(at('---\ndescription: C#7 and F#\n---\n')).toEqual([]);
    expect(at('---\ndescription: "a # b"\n---\n')).toEqual([]);
  });
});

describe('frontmatter/coerced and frontmatter/line-value', () => {
  it('warns for a list description, which the gateway loads as JSON', () => {
    const r = check('---\nname: x\ndescription: [a, b]\n---\n');
    expect(r.findings.map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column}`)).toEqual([
      'warning frontmatter/coerced@3:1',
    ]);
    expect(r.description).toBe('["a","b"]');
  });
  it('warns for `description: # text`, which the gateway’s line reader loads', () => {
    const r = check('---\ndescription: # text\n---\n');
    expect(r.findings.map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column}`)).toEqual([
      'warning frontmatter/line-value@2:1',
    ]);
    expect(r.description).toBe('# text');
  });
});

describe('frontmatter/yaml-invalid', () => {
  it('fails on YAML the gateway cannot parse outside a description line', () => {
    // The flow sequence runs to the end of the block: line 2, just past `[unclosed, list`.
    expect(at('---\n[unclosed, list\n---\n')).toEqual(['error frontmatter/yaml-invalid@2:16']);
  });
  it('fails on an alias bomb without expanding it', () => {
    const text = `---\n- &a [x,x,x,x]\n${Array.from({ length: 12 }, () => '- [*a,*a,*a,*a,*a,*a]').join('\n')}\n---\n`;
    expect(at(text)).toEqual(['error frontmatter/yaml-invalid@2:1']);
    const bomb = `---\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\ndescription: d\n---\n`;
    expect(check(bomb).frontmatter.gatewayReason).toMatch(/^invalid frontmatter: YAML_EXCEPTION/);
  });
  it('fails on tab indentation, with the fix', () => {
    const r = check('---\n\tdescription: d\n---\n');
    expect(r.findings.map((f) => `${f.severity} ${f.rule}`)).toEqual(['error frontmatter/yaml-invalid']);
    expect(r.findings[0]?.fix).toBe('indent with spaces, not tabs');
  });
  it('passes for valid YAML with nested metadata', () => {
    expect(at('---\ndescription: d\nmetadata:\n  openclaw:\n    emoji: "🔎"\n---\n')).toEqual([]);
  });
});

describe('frontmatter/yaml-invalid (not a mapping)', () => {
  it('fails when YAML is a plain scalar', () => {
    expect(at('---\njust some text\n---\n')).toEqual(['error frontmatter/yaml-invalid@2:1']);
  });
  it('passes for a mapping', () => expect(at('---\ndescription: text\n---\n')).toEqual([]));
});

describe('BOM', () => {
  it('is stripped as the gateway strips it, and later columns stay right', () => {
    const text = '\ufeff---\nname: x\ndescription: Use this: when\n---\n';
    expect(at(text)).toEqual(['warning frontmatter/repaired@3:1']);
  });
  it('passes without BOM', () => expect(at(GOOD)).toEqual([]));
});

describe('frontmatter/required', () => {
  it('fails when description (openclaw) is missing, at 1:1', () => {
    expect(at('---\nname: x\n---\n')).toEqual(['error frontmatter/required@1:1']);
  });
  it('fails at the key when it is present but empty', () => {
    expect(at('---\nname: x\ndescription: "  "\n---\n')).toEqual(['error frontmatter/required@3:1']);
  });
  it('strict requires name, version and description', () => {
    const r = check('---\ndescription: d\n---\n', { profile: 'strict' });
    expect(r.findings.map((f) => f.message)).toEqual([
      '`name` is required (profile strict)',
      '`version` is required (profile strict)',
    ]);
  });
  it('requiredFields overrides the profile', () => {
    expect(at('---\nname: x\n---\n', { requiredFields: ['name'] })).toEqual([]);
    expect(at(GOOD, { requiredFields: ['owner'] })).toEqual(['error frontmatter/required@1:1']);
  });
  it('openclaw does not require name: the folder name is used', () => {
    const r = check('---\ndescription: d\n---\n', { folderName: 'web-research' });
    expect([r.findings, r.name]).toEqual([[], 'web-research']);
  });
});

describe('frontmatter/type', () => {
  it('fails on a list description at the key under strict, warns under openclaw', () => {
    expect(at('---\nname: x\ndescription: [a, b]\n---\n', { profile: 'strict' })).toEqual([
      'error frontmatter/type@3:1',
      'error frontmatter/required@1:1',
    ]);
  });
  it('warns on a mapping name under openclaw (the gateway loads it as JSON)', () => {
    expect(at('---\nname:\n  first: x\ndescription: d\n---\n')).toEqual(['warning frontmatter/coerced@2:1']);
  });
  it('warns under openclaw for a numeric version (the gateway stringifies it) and shows the quoted source', () => {
    const r = check('---\ndescription: d\nversion: 1.0\n---\n');
    expect(r.findings.map((f) => `${f.severity} ${f.rule}@${f.line}:${f.column} ${f.fix}`)).toEqual([
      'warning frontmatter/coerced@3:1 quote it: version: "1.0"',
    ]);
    expect(r.version).toBe('1');
  });
  it('is an error under strict', () => {
    expect(at('---\nname: x\ndescription: d\nversion: 2\n---\n', { profile: 'strict' })).toEqual([
      'error frontmatter/type@4:1',
    ]);
  });
  it('passes when quoted', () => expect(at('---\ndescription: d\nversion: "1.0"\n---\n')).toEqual([]));
});

describe('agentskills profile', () => {
  const agent = (name: string, folderName = name) =>
    at(`---\nname: ${name}\ndescription: d\n---\n`, { profile: 'agentskills', folderName });
  it('frontmatter/name-format fails on bad names at the key', () => {
    for (const bad of ['My_Skill', '-lead', 'trail-', 'dou--ble', 'a'.repeat(65)]) {
      expect(agent(bad), bad).toEqual(['error frontmatter/name-format@2:1']);
    }
  });
  it('frontmatter/name-format passes on good names', () => {
    for (const good of ['a', 'web-research', 'v2-tool', 'a'.repeat(64)])
      expect(agent(good), good).toEqual([]);
  });
  it('frontmatter/name-mismatch fails when the folder differs', () => {
    expect(agent('web-research', 'research')).toEqual(['error frontmatter/name-mismatch@2:1']);
  });
  it('frontmatter/description-length fails above 1024 and passes at 1024', () => {
    const long = (n: number) =>
      at(`---\nname: x\ndescription: ${'d'.repeat(n)}\n---\n`, { profile: 'agentskills', folderName: 'x' });
    expect(long(1025)).toEqual(['error frontmatter/description-length@3:1']);
    expect(long(1024)).toEqual([]);
  });
  it('frontmatter/shape fails for a too-long compatibility and passes for a short one', () => {
    const c = (n: number) =>
      at(`---\nname: x\ndescription: d\ncompatibility: ${'c'.repeat(n)}\n---\n`, { profile: 'agentskills' });
    expect(c(501)).toEqual(['error frontmatter/shape@4:1']);
    expect(c(500)).toEqual([]);
  });
  it('openclaw accepts what agentskills rejects (names with capitals)', () => {
    expect(at('---\nname: My_Skill\ndescription: d\n---\n')).toEqual([]);
  });
});

describe('file/encoding', () => {
  it('warns at the first invalid byte (the gateway loads it with U+FFFD)', () => {
    const bytes = Buffer.concat([
      enc('---\nname: x\ndescription: d\n---\nab'),
      Buffer.from([0xff]),
      enc('\n'),
    ]);
    expect(at(bytes)).toEqual(['warning file/encoding@5:3']);
  });
  it('flags overlong and surrogate encodings', () => {
    expect(at(Buffer.concat([enc(GOOD), Buffer.from([0xc0, 0xaf])]))).toEqual(['warning file/encoding@6:1']);
    expect(at(Buffer.concat([enc(GOOD), Buffer.from([0xed, 0xa0, 0x80])]))).toEqual([
      'warning file/encoding@6:1',
    ]);
  });
  it('passes multi-byte UTF-8 and counts columns in characters', () => {
    expect(at('---\nname: x\ndescription: Résumé ✓ 🔎\n---\n')).toEqual([]);
    const bytes = Buffer.concat([enc('---\ndescription: d\n---\né🔎'), Buffer.from([0xfe])]);
    expect(at(bytes)).toEqual(['warning file/encoding@4:4']);
  });
});

describe('rule list', () => {
  it('has a description for every rule the validator emits', () => {
    const ids = listSkillRules().map((r) => r.rule);
    expect(ids).toContain('frontmatter/repaired');
    expect(ids).toContain('gateway/not-read');
    expect(ids).toContain('skill/duplicate-name');
    for (const r of listSkillRules()) expect(SKILL_RULES[r.rule].length).toBeGreaterThan(10);
  });
});
