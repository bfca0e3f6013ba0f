// The differential corpus: SKILL.md shapes and tree layouts whose fate the pinned gateway decides (docs/gateway.md).
import type { Placement } from '../../core/gateway/discovery.js';

/** A file of a case: text, bytes, or a link (made as written, then deployed as skill-sync deploys it). */
export type CaseFile = string | Buffer | { symlink: string } | { hardlink: string };

export interface Case {
  /** Unique id; also the skill's folder name and, unless `name` says otherwise, the name the gateway lists. */
  id: string;
  group: 'frontmatter' | 'size' | 'layout' | 'names' | 'roots' | 'caps';
  title: string;
  /** Files relative to the case's root folder. */
  files: Record<string, CaseFile>;
  /** The skill folder this case asks about, relative to the root. */
  dir: string;
  /** The name the gateway lists it under when it loads it. */
  name: string;
  /** Set when two cases share a name: the description tells which one the gateway kept. */
  description?: string;
  /** Roots other than the shared one: the case has a root folder of its own, named this. */
  root?: string;
  /** Placements the case is asked under (default both). */
  placements?: Placement[];
}

const SHARED = 'shared';
const skill = (fm: string, body = '\n# Skill\n\nDo the thing.\n') => `---\n${fm}\n---\n${body}`;

/** [slug, SKILL.md text with `$` for the case id]: every one is a top-level folder of the shared root. */
const FRONTMATTER: [string, string][] = [
  ['plain', skill('description: A plain skill.')],
  ['name-and-description', skill('name: $\ndescription: Named.')],
  ['no-frontmatter', '# Title\n\ndescription: not frontmatter\n'],
  ['body-only-keys', 'name: $\ndescription: no delimiters\n'],
  ['unclosed', '---\ndescription: never closed\n\n# Body\n'],
  ['closer-four-dashes', '---\ndescription: closed by four dashes\n----\n# Body\n'],
  ['closer-trailing-space', '---\ndescription: closed with trailing blanks\n---   \n# Body\n'],
  ['closer-trailing-text', '---\ndescription: closer with text\n--- end\n# Body\n'],
  ['opener-trailing-space', '---  \ndescription: opener with trailing blanks\n---\n'],
  ['opener-four-dashes', '----\ndescription: opened by four dashes\n---\n'],
  ['empty-block', '---\n---\n# Body\n'],
  ['blank-block', '---\n\n---\n# Body\n'],
  ['closer-at-eof', '---\ndescription: closer is the last line\n---'],
  ['bom', '\uFEFF---\ndescription: Starts with a BOM.\n---\n'],
  ['bom-crlf', '\uFEFF---\r\ndescription: BOM and CRLF.\r\n---\r\n'],
  ['crlf', '---\r\ndescription: Written on Windows.\r\n---\r\n# Body\r\n'],
  ['lone-cr', '---\rdescription: Old Mac line ends.\r---\r'],
  ['mixed-eol', '---\r\nname: $\ndescription: Mixed line ends.\r\n---\n'],
  ['leading-blank-line', '\n---\ndescription: blank line first\n---\n'],
  ['leading-space', ' ---\ndescription: space before the opener\n---\n'],
  ['tab-before-key', '---\n\tdescription: tab before the key\n---\n'],
  ['tab-after-colon', '---\ndescription:\tTab after the colon.\n---\n'],
  ['tab-indented-block', '---\ndescription: |\n\tTab-indented block text.\n---\n'],
  ['tab-in-metadata', '---\ndescription: ok\nmetadata:\n\topenclaw: {}\n---\n'],
  ['tab-in-value', '---\ndescription: "a\ttab inside quotes"\n---\n'],
  ['duplicate-description', '---\ndescription: first\ndescription: second\n---\n'],
  ['duplicate-name', '---\nname: $\nname: $\ndescription: twice named\n---\n'],
  ['duplicate-other-key', '---\ndescription: ok\ntags: a\ntags: b\n---\n'],
  ['duplicate-nested-key', '---\ndescription: ok\nmetadata:\n  a: 1\n  a: 2\n---\n'],
  ['keys-differ-in-case', '---\nDescription: upper\ndescription: lower\n---\n'],
  ['colon-in-description', '---\ndescription: Use this: when the user asks\n---\n'],
  ['colon-in-other-key', '---\ndescription: ok\nwhen: use this: now\n---\n'],
  ['colon-no-space', '---\ndescription: time 10:30 sharp\n---\n'],
  ['url-in-description', '---\ndescription: See https://example.com/a for details\n---\n'],
  ['hash-comment', '---\ndescription: text # a comment\n---\n'],
  ['hash-no-space', '---\ndescription: C#7 and F#\n---\n'],
  ['hash-only-value', '---\ndescription: # looks like a comment\n---\n'],
  ['hash-quoted', '---\ndescription: "quoted # not a comment"\n---\n'],
  ['star-start', '---\ndescription: *bold* claims\n---\n'],
  ['ampersand-start', '---\ndescription: &anchor text\n---\n'],
  ['at-start', '---\ndescription: @mention the bot\n---\n'],
  ['backtick-start', '---\ndescription: `code` first\n---\n'],
  ['percent-start', '---\ndescription: 100% sure\n---\n'],
  ['bang-start', '---\ndescription: !important note\n---\n'],
  ['pipe-in-middle', '---\ndescription: a | b\n---\n'],
  ['brackets-then-text', '---\ndescription: [topic] for [tool]\n---\n'],
  ['markdown-link', '---\ndescription: [docs](https://example.com) help\n---\n'],
  ['braces-template', '---\ndescription: {{template}} filler\n---\n'],
  ['braces-then-text', '---\ndescription: {a: 1} and more\n---\n'],
  ['dash-item-inline', '---\ndescription: - a list item\n---\n'],
  ['quotes-or-quotes', '---\ndescription: "a" or "b"\n---\n'],
  [
    'argument-hint-quotes-or',
    '---\ndescription: ok\nargument-hint: "[topic] for [tool]" or "[topic]"\n---\n',
  ],
  ['both-lines-broken', '---\ndescription: "x" or "y"\nargument-hint: "[t] for [x]" or "[t]"\n---\n'],
  ['quoted-then-colon', '---\ndescription: "a": b\n---\n'],
  ['single-quoted-escape', "---\ndescription: 'it''s fine'\n---\n"],
  ['double-quoted-escape', '---\ndescription: "line\\nbreak \\u00e9"\n---\n'],
  ['unterminated-double', '---\ndescription: "never closed\n---\n'],
  ['unterminated-single', "---\ndescription: 'never closed\n---\n"],
  ['block-literal', '---\ndescription: |\n  Literal\n  text.\n---\n'],
  ['block-folded', '---\ndescription: >\n  Folded\n  text.\n---\n'],
  ['block-strip', '---\ndescription: |-\n  Stripped.\n---\n'],
  ['block-keep', '---\ndescription: >+\n  Kept.\n\n---\n'],
  ['block-indent-indicator', '---\ndescription: |2\n   Indented by three.\n---\n'],
  ['block-empty', '---\ndescription: |\nname: $\n---\n'],
  ['block-unindented-text', '---\ndescription: |\ntext at column one\n---\n'],
  ['block-with-dashes', '---\ndescription: |\n  ---\n  dashes inside\n---\n'],
  ['plain-multiline', '---\ndescription: first line\n  second line\n---\n'],
  ['indented-continuation-only', '---\ndescription:\n  on the next line\n---\n'],
  ['list-description', '---\ndescription: [one, two]\n---\n'],
  ['block-list-description', '---\ndescription:\n  - one\n  - two\n---\n'],
  ['map-description', '---\ndescription: {a: 1, b: two}\n---\n'],
  ['block-map-description', '---\ndescription:\n  what: it does\n  when: always\n---\n'],
  ['int-description', '---\ndescription: 42\n---\n'],
  ['float-description', '---\ndescription: 1.50\n---\n'],
  ['hex-description', '---\ndescription: 0x1F\n---\n'],
  ['exp-description', '---\ndescription: 1e3\n---\n'],
  ['inf-description', '---\ndescription: .inf\n---\n'],
  ['bool-description', '---\ndescription: true\n---\n'],
  ['yes-description', '---\ndescription: yes\n---\n'],
  ['date-description', '---\ndescription: 2026-01-01\n---\n'],
  ['null-description', '---\ndescription: null\n---\n'],
  ['tilde-description', '---\ndescription: ~\n---\n'],
  ['empty-description', '---\ndescription:\n---\n'],
  ['empty-quoted-description', '---\ndescription: ""\n---\n'],
  ['blank-quoted-description', '---\ndescription: "   "\n---\n'],
  ['single-quote-char', "---\ndescription: '\n---\n"],
  ['int-name', '---\nname: 9000001\ndescription: numeric name\n---\n'],
  ['list-name', '---\nname: [a, b]\ndescription: list name\n---\n'],
  ['empty-name', '---\nname:\ndescription: empty name\n---\n'],
  ['spaced-name', '---\nname: "  $  "\ndescription: name with blanks\n---\n'],
  ['numeric-version', '---\ndescription: ok\nversion: 1.0\n---\n'],
  ['anchor-alias', '---\nbase: &b Shared text.\ndescription: *b\n---\n'],
  ['undefined-alias', '---\ndescription: *nope\n---\n'],
  ['merge-key', '---\nbase: &b {x: 1}\nmeta:\n  <<: *b\ndescription: merge key\n---\n'],
  [
    'alias-bomb',
    '---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ndescription: bomb\n---\n',
  ],
  ['spaced-key', '---\nmy key: value\ndescription: ok\n---\n'],
  ['quoted-key', '---\n"description": Quoted key.\n---\n'],
  ['space-before-colon', '---\ndescription : space before colon\n---\n'],
  ['no-space-after-colon', '---\ndescription:x\n---\n'],
  ['no-space-after-colon-plus', '---\nname: $\ndescription:x\n---\n'],
  ['int-key', '---\n1: one\ndescription: ok\n---\n'],
  ['empty-key', '---\n: x\ndescription: ok\n---\n'],
  ['root-list', '---\n- description: in a list\n---\n'],
  ['root-scalar', '---\njust a sentence\n---\n'],
  ['comment-only', '---\n# description: commented out\n---\n'],
  ['comment-lines', '---\n# note\ndescription: after a comment\n# end\n---\n'],
  ['flow-root', '---\n{description: Flow mapping root.}\n---\n'],
  ['doc-end-marker', '---\ndescription: ok\n...\n---\n'],
  ['yaml-directive', '---\n%YAML 1.2\ndescription: directive\n---\n'],
  ['bare-word-line', '---\ndescription: ok\nstray\n---\n'],
  ['indented-key', '---\n  description: indented key\n---\n'],
  ['bad-nested-indent', '---\ndescription: ok\nmetadata:\n  a: 1\n b: 2\n---\n'],
  ['capital-description-only', '---\nDescription: only capitalised\n---\n'],
  ['underscore-key-only', '---\ndescription_text: wrong key\n---\n'],
  ['read-when-colon', '---\ndescription: ok\nread_when: use it: when asked\n---\n'],
  ['summary-colon', '---\ndescription: ok\nsummary: short: yes\n---\n'],
  ['emoji', '---\ndescription: Ships 🚀 fast — “smart quotes”.\n---\n'],
  ['line-separator', '---\ndescription: before\u2028after\n---\n'],
  ['trailing-spaces', '---\ndescription: trailing blanks   \n---\n'],
  ['metadata-json', '---\ndescription: ok\nmetadata: {"openclaw": {"requires": {"bins": ["gh"]}}}\n---\n'],
  ['metadata-bad-flow', '---\ndescription: ok\nmetadata: {"openclaw": }\n---\n'],
  ['long-description', skill(`description: ${'word '.repeat(1000).trim()}`)],
  ['description-1025', skill(`description: ${'x'.repeat(1025)}`)],
  ['long-name', skill(`name: $-${'n'.repeat(200)}\ndescription: long name`)],
];

/** Sizes at and over the gateway's maxSkillFileBytes (256,000), in bytes of the whole SKILL.md. */
function sized(bytes: number): string {
  const head = '---\ndescription: Sized.\n---\n';
  return head + 'x'.repeat(bytes - head.length - 1) + '\n';
}

const SIZES: [string, CaseFile, Record<string, CaseFile>?][] = [
  ['size-255999', sized(255_999)],
  ['size-256000', sized(256_000)],
  ['size-256001', sized(256_001)],
  ['size-300000', sized(300_000)],
  ['size-multibyte-over', '---\ndescription: Multibyte.\n---\n' + 'é'.repeat(128_000)],
  [
    'size-big-asset',
    skill('description: Big asset beside.'),
    { 'assets/big.bin': Buffer.alloc(3 * 1024 * 1024, 7) },
  ],
  [
    'size-invalid-utf8-body',
    Buffer.concat([
      Buffer.from('---\ndescription: Bad bytes below.\n---\n'),
      Buffer.from([0xff, 0xfe, 0x41, 0x0a]),
    ]),
  ],
  [
    'size-invalid-utf8-description',
    Buffer.concat([
      Buffer.from('---\ndescription: bad '),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(' byte\n---\n'),
    ]),
  ],
  ['size-nul-in-body', '---\ndescription: NUL below.\n---\nbody\u0000more\n'],
];

function frontmatterCases(): Case[] {
  const cases: Case[] = FRONTMATTER.map(([slug, text], i) => {
    const id = `fm-${String(i + 1).padStart(3, '0')}-${slug}`;
    const body = text.replaceAll('$', id);
    const named = /^(?:\uFEFF)?---[^\n]*\n(?:[^\n]*\n)*?name: (?:"\s*)?(\S+)/m.exec(body);
    return {
      id,
      group: 'frontmatter' as const,
      title: slug,
      files: { [`${id}/SKILL.md`]: body },
      dir: id,
      name: nameOf(slug, id, named?.[1]),
    };
  });
  SIZES.forEach(([slug, content, extra]) => {
    const files: Record<string, CaseFile> = { [`${slug}/SKILL.md`]: content };
    for (const [p, c] of Object.entries(extra ?? {})) files[`${slug}/${p}`] = c;
    cases.push({ id: slug, group: 'size', title: slug, files, dir: slug, name: slug });
  });
  return cases;
}

/** The name a case is listed under if loaded: the frontmatter's for the few that set an unusual one. */
function nameOf(slug: string, id: string, named: string | undefined): string {
  if (slug === 'int-name') return '9000001';
  if (slug === 'list-name') return '["a","b"]';
  if (slug === 'long-name') return `${id}-${'n'.repeat(200)}`;
  return named && named.startsWith(id) ? id : id;
}

const ok = (desc: string, name?: string) => skill(`${name ? `name: ${name}\n` : ''}description: ${desc}`);

/** Layouts inside the shared root: depth, dot-folders, skills in skills, links, names the gateway has. */
function layoutCases(): Case[] {
  const c = (
    id: string,
    title: string,
    files: Record<string, CaseFile>,
    dir: string,
    more: Partial<Case> = {},
  ): Case => ({
    id,
    group: 'layout',
    title,
    files,
    dir,
    name: id,
    ...more,
  });
  return [
    c('ly-depth1', 'top-level skill', { 'ly-depth1/SKILL.md': ok('depth 1') }, 'ly-depth1'),
    c(
      'ly-depth2',
      'skill in a group folder',
      { 'grp-a/ly-depth2/SKILL.md': ok('depth 2') },
      'grp-a/ly-depth2',
    ),
    c(
      'ly-depth3',
      'three folders deep',
      { 'grp-b/sub/ly-depth3/SKILL.md': ok('depth 3') },
      'grp-b/sub/ly-depth3',
    ),
    c(
      'ly-depth4',
      'four folders deep',
      { 'grp-c/a/b/ly-depth4/SKILL.md': ok('depth 4') },
      'grp-c/a/b/ly-depth4',
    ),
    c(
      'ly-depth6',
      'six folders deep',
      { 'grp-d/a/b/c/d/ly-depth6/SKILL.md': ok('depth 6') },
      'grp-d/a/b/c/d/ly-depth6',
    ),
    c(
      'ly-depth7',
      'seven folders deep',
      { 'grp-e/a/b/c/d/e/ly-depth7/SKILL.md': ok('depth 7') },
      'grp-e/a/b/c/d/e/ly-depth7',
    ),
    c('ly-hidden', 'dot-folder skill', { '.ly-hidden/SKILL.md': ok('hidden') }, '.ly-hidden'),
    c(
      'ly-hidden-group',
      'skill in a dot-folder group',
      { '.grp-f/ly-hidden-group/SKILL.md': ok('hidden group') },
      '.grp-f/ly-hidden-group',
    ),
    c(
      'ly-hidden-deep',
      'dot-folder in the middle',
      { 'grp-g/.sub/ly-hidden-deep/SKILL.md': ok('hidden middle') },
      'grp-g/.sub/ly-hidden-deep',
    ),
    c(
      'ly-node-modules',
      'inside node_modules',
      { 'node_modules/ly-node-modules/SKILL.md': ok('npm') },
      'node_modules/ly-node-modules',
    ),
    c('ly-junk-dist', 'inside dist/', { 'dist/ly-junk-dist/SKILL.md': ok('dist') }, 'dist/ly-junk-dist'),
    c(
      'ly-outer',
      'skill holding a skill (outer)',
      { 'ly-outer/SKILL.md': ok('outer'), 'ly-outer/ly-inner/SKILL.md': ok('inner') },
      'ly-outer',
    ),
    c('ly-inner', 'skill holding a skill (inner)', {}, 'ly-outer/ly-inner'),
    c(
      'ly-inner-deep',
      'skill two folders inside a skill',
      { 'ly-outer2/SKILL.md': ok('outer2'), 'ly-outer2/x/ly-inner-deep/SKILL.md': ok('inner deep') },
      'ly-outer2/x/ly-inner-deep',
      { name: 'ly-inner-deep' },
    ),
    c(
      'ly-inner-skills',
      'skills/ folder inside a skill',
      { 'ly-outer3/SKILL.md': ok('outer3'), 'ly-outer3/skills/ly-inner-skills/SKILL.md': ok('inner skills') },
      'ly-outer3/skills/ly-inner-skills',
    ),
    c(
      'ly-broken-group',
      'group with a broken SKILL.md holding a skill',
      { 'grp-h/SKILL.md': '# no frontmatter\n', 'grp-h/ly-broken-group/SKILL.md': ok('under broken') },
      'grp-h/ly-broken-group',
    ),
    c(
      'ly-symlink-skillmd',
      'SKILL.md is a symlink',
      { 'ly-symlink-skillmd/real.md': ok('via link'), 'ly-symlink-skillmd/SKILL.md': { symlink: 'real.md' } },
      'ly-symlink-skillmd',
    ),
    c(
      'ly-symlink-folder',
      'skill folder is a symlink',
      { 'ly-target/SKILL.md': ok('target', 'ly-target'), 'ly-symlink-folder': { symlink: 'ly-target' } },
      'ly-symlink-folder',
    ),
    c(
      'ly-hardlink-skillmd',
      'SKILL.md hard-linked to another file',
      {
        'ly-hardlink-skillmd/orig.md': ok('hard linked'),
        'ly-hardlink-skillmd/SKILL.md': { hardlink: 'ly-hardlink-skillmd/orig.md' },
      },
      'ly-hardlink-skillmd',
    ),
    c(
      'ly-hardlink-asset',
      'asset hard-linked',
      {
        'ly-hardlink-asset/SKILL.md': ok('asset link'),
        'ly-hardlink-asset/a.txt': 'a\n',
        'ly-hardlink-asset/b.txt': { hardlink: 'ly-hardlink-asset/a.txt' },
      },
      'ly-hardlink-asset',
    ),
    c(
      'ly-empty-dirs',
      'skill beside empty folders',
      { 'ly-empty-dirs/SKILL.md': ok('empty dirs'), 'ly-empty-dirs/refs/.keep': '' },
      'ly-empty-dirs',
    ),
    c(
      'ly-skillmd-lowercase',
      'skill.md in lower case',
      { 'ly-skillmd-lowercase/skill.md': ok('lower') },
      'ly-skillmd-lowercase',
    ),
    c(
      'ly-skillmd-folder',
      'SKILL.md is a folder',
      { 'ly-skillmd-folder/SKILL.md/x.md': ok('folder') },
      'ly-skillmd-folder',
    ),
    c(
      'ly-group-skills-name',
      'group folder named skills-x',
      { 'skills-x/ly-group-skills-name/SKILL.md': ok('group') },
      'skills-x/ly-group-skills-name',
    ),
  ];
}

/** Names: given twice in one tree, or also a skill of the gateway's own. */
function nameCases(): Case[] {
  const c = (
    id: string,
    title: string,
    files: Record<string, CaseFile>,
    dir: string,
    name: string,
    description?: string,
  ): Case => ({
    id,
    group: 'names',
    title,
    files,
    dir,
    name,
    ...(description ? { description } : {}),
  });
  return [
    c(
      'nm-dup-first',
      'same name, first in load order',
      { 'nm-dup-a/SKILL.md': ok('dup first', 'nm-dup') },
      'nm-dup-a',
      'nm-dup',
      'dup first',
    ),
    c(
      'nm-dup-second',
      'same name, second in load order',
      { 'nm-dup-b/SKILL.md': ok('dup second', 'nm-dup') },
      'nm-dup-b',
      'nm-dup',
      'dup second',
    ),
    c(
      'nm-dup-broken-winner',
      'same name, the later one does not load',
      {
        'nm-dup2-a/SKILL.md': ok('dup2 first', 'nm-dup2'),
        'nm-dup2-b/SKILL.md': '---\nname: nm-dup2\n---\n',
      },
      'nm-dup2-a',
      'nm-dup2',
      'dup2 first',
    ),
    c(
      'nm-dup-folder-vs-name',
      'a folder name equals another skill’s name',
      { 'nm-dup3/SKILL.md': ok('by folder'), 'nm-dup3-z/SKILL.md': ok('by field', 'nm-dup3') },
      'nm-dup3',
      'nm-dup3',
      'by folder',
    ),
    c(
      'nm-bundled-skill-creator',
      'named like the bundled skill-creator',
      { 'skill-creator/SKILL.md': ok('Our own skill creator.') },
      'skill-creator',
      'skill-creator',
      'Our own skill creator.',
    ),
    c(
      'nm-bundled-by-field',
      'name field equals a bundled skill (github)',
      { 'nm-gh/SKILL.md': ok('Our github skill.', 'github') },
      'nm-gh',
      'github',
      'Our github skill.',
    ),
    c(
      'nm-custodian',
      'named like a custodian skill',
      { 'diagnose-gateway/SKILL.md': ok('Our diagnose.') },
      'diagnose-gateway',
      'diagnose-gateway',
      'Our diagnose.',
    ),
    c(
      'nm-plugin-skill',
      'named like a plugin skill (canvas)',
      { 'canvas/SKILL.md': ok('Our canvas.') },
      'canvas',
      'canvas',
      'Our canvas.',
    ),
  ];
}

/** Cases that need a root folder of their own (root SKILL.md, a nested skills/ folder, the caps). */
function rootCases(): Case[] {
  const cases: Case[] = [];
  const r = (
    root: string,
    id: string,
    title: string,
    files: Record<string, CaseFile>,
    dir: string,
    name = id,
  ): void => {
    cases.push({ id, group: 'roots', title, files, dir, name, root });
  };
  // A root that is a skill, beside a nested skills/ folder.
  r(
    'r-rootskill',
    'rt1-root',
    'the root’s own SKILL.md',
    { 'SKILL.md': ok('root skill', 'rt1-root'), 'skills/rt1-child/SKILL.md': ok('child') },
    '',
  );
  r('r-rootskill', 'rt1-child', 'a skill beside a root SKILL.md', {}, 'skills/rt1-child');
  // The root SKILL.md does not load: the gateway reads skills/ instead (the user's repo).
  r(
    'r-badroot',
    'rt2-child',
    'skills/ child beside a root SKILL.md without description',
    { 'SKILL.md': '---\ntitle: no description\n---\n', 'skills/rt2-child/SKILL.md': ok('child') },
    'skills/rt2-child',
  );
  r('r-badroot', 'rt2-top', 'top-level copy beside skills/', { 'rt2-top/SKILL.md': ok('top') }, 'rt2-top');
  // Only skills/ holds skills: it is read; other folders hold none.
  r(
    'r-nested',
    'rt3-child',
    'skills/ is the only place with skills',
    { 'skills/rt3-child/SKILL.md': ok('child'), 'docs/readme.md': '# docs\n' },
    'skills/rt3-child',
  );
  r(
    'r-nested',
    'rt3-deep',
    'deep inside skills/',
    { 'skills/g/a/b/rt3-deep/SKILL.md': ok('deep') },
    'skills/g/a/b/rt3-deep',
  );
  // Skills both in skills/ and elsewhere: the root is read, skills/ as a group.
  r(
    'r-mixed',
    'rt4-child',
    'in skills/ with a skill elsewhere',
    { 'skills/rt4-child/SKILL.md': ok('child'), 'rt4-top/SKILL.md': ok('top') },
    'skills/rt4-child',
  );
  r('r-mixed', 'rt4-top', 'elsewhere, beside skills/', {}, 'rt4-top');
  // The root is one skill with no skills/ folder: nothing inside is searched.
  r(
    'r-single',
    'rt5-root',
    'root skill, no skills/',
    { 'SKILL.md': ok('single root', 'rt5-root'), 'rt5-child/SKILL.md': ok('child') },
    '',
  );
  r('r-single', 'rt5-child', 'a skill inside a root skill', {}, 'rt5-child');
  // Depth under an extraDirs root not named skills (2) vs the managed folder (6).
  r(
    'other-root',
    'rt6-depth2',
    'two deep in a root not named skills',
    { 'g/rt6-depth2/SKILL.md': ok('d2') },
    'g/rt6-depth2',
  );
  r(
    'other-root',
    'rt6-depth3',
    'three deep in a root not named skills',
    { 'g/h/rt6-depth3/SKILL.md': ok('d3') },
    'g/h/rt6-depth3',
  );
  r(
    'other-root',
    'rt6-depth3-in-skills',
    'three deep under a nested skills/',
    { 'skills/h/i/rt6-depth3-in-skills/SKILL.md': ok('d3s') },
    'skills/h/i/rt6-depth3-in-skills',
  );
  return cases;
}

/** More skills than the gateway loads from one folder (200), more folders than it scans (300). */
function capCases(): Case[] {
  const cases: Case[] = [];
  const loadFiles: Record<string, CaseFile> = {};
  for (let i = 1; i <= 206; i++) {
    const id = `cap-${String(i).padStart(3, '0')}`;
    // Three that do not load: they do not count towards the 200.
    loadFiles[`${id}/SKILL.md`] = [5, 50, 150].includes(i) ? '# no frontmatter\n' : ok(`cap ${i}`);
  }
  for (const i of [1, 5, 199, 200, 201, 202, 203, 204, 206]) {
    const id = `cap-${String(i).padStart(3, '0')}`;
    cases.push({
      id,
      group: 'caps',
      title: `skill ${i} of 206 (3 do not load)`,
      files: i === 1 ? loadFiles : {},
      dir: id,
      name: id,
      root: 'r-cap',
    });
  }
  // 303 skill folders, of which only five load: the gateway scans the first 300 folders, sorted.
  const scanFiles: Record<string, CaseFile> = {};
  const scanLoads = [1, 299, 300, 301, 303];
  for (let i = 1; i <= 303; i++) {
    const id = `scan-${String(i).padStart(3, '0')}`;
    scanFiles[`${id}/SKILL.md`] = scanLoads.includes(i) ? ok(`scan ${i}`) : '# no frontmatter\n';
  }
  for (const i of scanLoads) {
    const id = `scan-${String(i).padStart(3, '0')}`;
    cases.push({
      id,
      group: 'caps',
      title: `folder ${i} of 303 (5 load)`,
      files: i === 1 ? scanFiles : {},
      dir: id,
      name: id,
      root: 'r-scan',
    });
  }
  return cases;
}

/** Every case; the shared root's cases are asked under both placements, roots of their own under `extra`. */
export function corpus(): Case[] {
  const all = [...frontmatterCases(), ...layoutCases(), ...nameCases(), ...rootCases(), ...capCases()];
  return all.map((c) => ({
    ...c,
    root: c.root ?? SHARED,
    placements: c.placements ?? (c.root ? ['extra'] : ['managed', 'extra']),
  }));
}

export const SHARED_ROOT = SHARED;
