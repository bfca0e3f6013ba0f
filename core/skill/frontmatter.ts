// SKILL.md frontmatter parsed exactly as the pinned gateway parses it (docs/gateway.md "Frontmatter").
//
// What OpenClaw 2026.9.6 does (dist/frontmatter-*.mjs, packages/markdown-core/src/frontmatter.ts):
// - strips a leading BOM, turns CRLF and lone CR into LF; opens on `^---[ \t]*\n` and closes on the first line that is
//   `---` plus trailing blanks (so `----` does not close); an unclosed block is an issue, i.e. the skill is dropped;
// - parses the block with `yaml` (schema core, unique keys); any YAML error or a root that is not a mapping is an
//   issue, and an issue drops the skill. The one repair: when the error sits on a top-level `description:` line (or
//   on a `read_when:`/`summary:` line holding `: `), that line's value is re-read as one quoted string, up to 3 times;
// - values become strings: strings trimmed, numbers and booleans via String, lists and maps as JSON, null dropped;
//   keys YAML leaves empty are filled by a line reader (`key: value` per line), e.g. `description: # text`;
// - a skill loads when `description` is non-empty; `name` falls back to the folder name.
import { LineCounter, parseDocument, isAlias, isMap, isNode, isScalar, type Document } from 'yaml';
import type { Finding } from '../findings.js';

export type FrontmatterStatus = 'ok' | 'missing' | 'unclosed' | 'empty' | 'invalid';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedFrontmatter {
  status: FrontmatterStatus;
  /** YAML values as parsed (before the gateway turns them into strings); empty unless status is 'ok'. */
  data: Record<string, unknown>;
  /** The gateway's view: every field as the string it loads (what `name` and `description` come from). */
  fields: Record<string, string>;
  /** Where each top-level key starts in the file (1-based). */
  keys: Map<string, Position>;
  /** Source text of top-level scalar values, e.g. `1.0` where the value is the number 1. */
  sources: Map<string, string>;
  /** The gateway's reason for dropping the skill (`invalid frontmatter: CODE: message`), when it does. */
  gatewayReason?: string;
  findings: Finding[];
}

const LINE_KEY = /^([\w-]+):/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * The gateway's line reader regex `/^([\w-]+):\s*(.*)$/` without its backtracking: that regex is quadratic on a long
 * run of spaces followed by U+2028. Same result: the value after the longest whitespace prefix, and no match when
 * that value holds a line terminator.
 */
export function matchKeyLine(line: string): [key: string, value: string] | undefined {
  const m = LINE_KEY.exec(line);
  if (!m) return undefined;
  const value = line.slice(m[0].length).replace(/^\s+/, '');
  return LINE_TERMINATOR.test(value) ? undefined : [m[1] as string, value];
}

/** Fixes quote the offending line; past this length the fix is described instead of shown. */
const MAX_FIX_LINE = 200;
/** The gateway's repair pass runs once per free-form field at most. */
const FREEFORM_TEXT_FIELDS = new Set(['description', 'read_when', 'summary']);
/**
 * Over this many lines, duplicate keys are found by our own linear check instead of the yaml package's quadratic
 * one; the verdict (an issue, so a dropped skill) is the same, only which error is reported first may differ.
 */
const UNIQUE_KEYS_MAX_LINES = 2000;

function stripQuotes(value: string): string {
  const quote = value.at(0);
  return (quote === '"' || quote === "'") && value.at(-1) === quote ? value.slice(1, -1) : value;
}

/** The gateway's line reader (parseLineFrontmatter), with the line index of each key it keeps. */
export function parseLineFallback(block: string): {
  data: Record<string, string>;
  keyLines: Map<string, number>;
} {
  const data: Record<string, string> = {};
  const keyLines = new Map<string, number>();
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const m = matchKeyLine(lines[i] ?? '');
    if (!m) continue;
    const [key, rawValue] = m;
    const at = i;
    let value = rawValue.trim();
    if (!value && /^[ \t]/.test(lines[i + 1] ?? '')) {
      const valueLines: string[] = [];
      while (i + 1 < lines.length) {
        const line = lines[i + 1] as string;
        if (line && !/^[ \t]/.test(line)) break;
        valueLines.push(line);
        i += 1;
      }
      value = valueLines.join('\n').trim();
    } else value = stripQuotes(value);
    if (value) {
      data[key] = value;
      keyLines.set(key, at);
    }
  }
  return { data, keyLines };
}

interface Issue {
  code: string;
  message: string;
  /** Offset in the block, when the parser gave one. */
  pos?: number;
}

function parseDoc(block: string, lineCounter?: LineCounter): Document.Parsed {
  const unique = block.split('\n', UNIQUE_KEYS_MAX_LINES + 1).length <= UNIQUE_KEYS_MAX_LINES;
  const doc = parseDocument(block, {
    schema: 'core',
    prettyErrors: false,
    uniqueKeys: unique,
    ...(lineCounter ? { lineCounter } : {}),
  });
  if (!unique && doc.errors.length === 0) {
    const dup = duplicateKey(doc);
    if (dup) doc.errors.push(dup as never);
  }
  return doc;
}

/** Duplicate scalar keys in any mapping: what the yaml package's `uniqueKeys` rejects. */
function duplicateKey(doc: Document): { code: string; message: string; pos: [number, number] } | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (!isMap(node)) {
      if (node && typeof node === 'object' && 'items' in node) stack.push(...(node.items as unknown[]));
      continue;
    }
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      if (isScalar(pair.key)) {
        if (seen.has(pair.key.value)) {
          const at = pair.key.range?.[0] ?? 0;
          return { code: 'DUPLICATE_KEY', message: 'Map keys must be unique', pos: [at, at + 1] };
        }
        seen.add(pair.key.value);
      }
      stack.push(pair.value);
    }
  }
  return undefined;
}

function coerce(value: unknown): { value: string; kind: 'scalar' | 'structured' } | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return { value: value.trim(), kind: 'scalar' };
  if (typeof value === 'number' || typeof value === 'boolean')
    return { value: String(value), kind: 'scalar' };
  if (typeof value === 'object') {
    try {
      return { value: JSON.stringify(value), kind: 'structured' };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

interface Once {
  fields: Record<string, string>;
  issues: Issue[];
  doc?: Document.Parsed;
  data?: Record<string, unknown>;
  lc: LineCounter;
}

/** parseYamlFrontmatterOnce: one YAML pass, string fields, the line reader filling what YAML left empty. */
function parseOnce(block: string, fallback: Record<string, string>): Once {
  const lc = new LineCounter();
  try {
    const doc = parseDoc(block, lc);
    if (doc.errors.length > 0 || !isMap(doc.contents)) {
      return {
        fields: fallback,
        lc,
        doc,
        issues:
          doc.errors.length > 0
            ? doc.errors.map((e) => ({ code: e.code ?? e.name, message: e.message, pos: e.pos?.[0] }))
            : [{ code: 'INVALID_ROOT', message: 'frontmatter must be a YAML mapping', pos: 0 }],
      };
    }
    const parsed: unknown = doc.toJS();
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return {
        fields: fallback,
        lc,
        doc,
        issues: [{ code: 'INVALID_ROOT', message: 'frontmatter must be a YAML mapping', pos: 0 }],
      };
    }
    // A structured value on a line that reads `key: a: b` is the line's text to the gateway, not the JSON.
    const inlineColonKeys = new Set<string>();
    for (const pair of doc.contents.items) {
      if (!isNode(pair.key)) continue;
      const start = pair.key.range?.[0];
      if (start === undefined) continue;
      const lineEnd = block.indexOf('\n', start);
      const m = matchKeyLine(block.slice(start, lineEnd === -1 ? block.length : lineEnd));
      if (m && m[1].includes(':')) inlineColonKeys.add(m[0]);
    }
    const fields: Record<string, string> = {};
    for (const [rawKey, value] of Object.entries(parsed as Record<string, unknown>)) {
      const key = rawKey.trim();
      const c = key ? coerce(value) : undefined;
      if (!c) continue;
      const fb = Object.hasOwn(fallback, key) ? fallback[key] : undefined;
      fields[key] = c.kind === 'structured' && inlineColonKeys.has(key) && fb !== undefined ? fb : c.value;
    }
    for (const [key, value] of Object.entries(fallback)) if (!Object.hasOwn(fields, key)) fields[key] = value;
    return { fields, issues: [], doc, data: parsed as Record<string, unknown>, lc };
  } catch (err) {
    return {
      fields: fallback,
      lc,
      issues: [{ code: 'YAML_EXCEPTION', message: err instanceof Error ? err.message : String(err) }],
    };
  }
}

/** normalizeFreeformFieldAtError: the gateway's one repair. Returns the new block and the repaired line's start. */
function repairFreeformField(block: string): { block: string; lineStart: number; key: string } | undefined {
  const doc = parseDoc(block);
  if (!isMap(doc.contents)) return undefined;
  const error = doc.errors.find((e) => e.pos?.[0] !== undefined);
  const descriptionAlias = doc.contents.items.find(
    (p) => isScalar(p.key) && p.key.value === 'description' && isAlias(p.value),
  );
  const pos =
    error?.pos?.[0] ?? (isNode(descriptionAlias?.key) ? descriptionAlias.key.range?.[0] : undefined);
  if (pos === undefined) return undefined;
  const lineStart = block.lastIndexOf('\n', pos) + 1;
  const lineEnd = block.indexOf('\n', pos);
  const end = lineEnd === -1 ? block.length : lineEnd;
  const m = /^(?:([\w-]+)|"([\w-]+)"|'([\w-]+)'):\s*(.*)$/.exec(block.slice(lineStart, end));
  const keyName = m?.[1] ?? m?.[2] ?? m?.[3];
  const rawValue = m?.[4]?.trim();
  const isTopLevelField = doc.contents.items.some(
    (p) => isScalar(p.key) && p.key.value === keyName && p.key.range?.[0] === lineStart,
  );
  const recoverColonRichText = error?.code === 'BLOCK_AS_IMPLICIT_KEY' && rawValue?.includes(': ');
  if (
    !keyName ||
    !rawValue ||
    !FREEFORM_TEXT_FIELDS.has(keyName) ||
    !isTopLevelField ||
    (keyName !== 'description' && !recoverColonRichText) ||
    /^[|>](?:[1-9][+-]?|[+-][1-9]?)?$/.test(rawValue)
  ) {
    return undefined;
  }
  const replacement = `${keyName}: ${JSON.stringify(stripQuotes(rawValue))}`;
  return { block: `${block.slice(0, lineStart)}${replacement}${block.slice(end)}`, lineStart, key: keyName };
}

const OPENING = /^---[^\S\n]*\n/;
const CLOSING = /(?:^|\n)---[^\S\n]*(?:\n|(?![\s\S]))/;

/** The text the gateway parses: BOM stripped, line breaks made LF. */
export function normalizeFrontmatterContent(content: string): string {
  return content
    .replace(/^\uFEFF/, '')
    .replace(/\r\n/g, '\n')
    .replace(/\r/g, '\n');
}

/** File line of block line 1 plus offsets: the block starts on line 2 of the normalized text. */
function filePos(lc: LineCounter, offset: number): Position {
  const p = lc.linePos(offset);
  return { line: p.line + 1, column: p.col };
}

function finding(
  file: string,
  rule: string,
  severity: Finding['severity'],
  pos: Position,
  message: string,
  fix?: string,
): Finding {
  return { severity, rule, file, line: pos.line, column: pos.column, message, ...(fix ? { fix } : {}) };
}

/** `key: value` with the value double-quoted (a JSON string is a valid YAML double-quoted scalar). */
function quotedLineFix(line: string): string | undefined {
  const m = matchKeyLine(line);
  const value = m?.[1].trim();
  if (!m || !value || line.length > MAX_FIX_LINE || /^[|>]/.test(value)) return undefined;
  // Single quotes keep inner double quotes readable (`'"a" or "b"'`); YAML escapes nothing else in them.
  return value.includes('"') && !value.includes("'")
    ? `${m[0]}: '${value}'`
    : `${m[0]}: ${JSON.stringify(value)}`;
}

/** A fix for the gateway's YAML issue on `line`, in the words a user acts on. */
function fixFor(issue: Issue, line: string): string {
  if (issue.code === 'DUPLICATE_KEY') {
    const key = matchKeyLine(line.trim())?.[0];
    return `keep one \`${key ?? 'key'}:\` line; the gateway refuses frontmatter with a key given twice`;
  }
  if (issue.code === 'TAB_AS_INDENT' || /^\t/.test(line)) return 'indent with spaces, not tabs';
  if (issue.code === 'INVALID_ROOT') return 'write the frontmatter as `key: value` lines';
  const quoted = quotedLineFix(line);
  if (quoted) return `quote the value: ${quoted}`;
  return 'make the frontmatter valid YAML (quote values holding `: `, `#`, `[`, `{`, `"` or `*`)';
}

/**
 * Parse the frontmatter of a decoded SKILL.md as the gateway does. Never throws; positions are 1-based file
 * positions (a leading BOM is not a column; CRLF is one line break).
 */
export function parseFrontmatter(raw: string, file: string): ParsedFrontmatter {
  const result: ParsedFrontmatter = {
    status: 'missing',
    data: {},
    fields: {},
    keys: new Map(),
    sources: new Map(),
    findings: [],
  };
  const text = normalizeFrontmatterContent(raw);
  // The three ways a file has no usable block: each an error at the top, with the gateway's own reason.
  const dropped = (
    status: FrontmatterStatus,
    reason: string,
    rule: string,
    message: string,
    fix?: string,
  ): ParsedFrontmatter => {
    result.status = status;
    result.gatewayReason = reason;
    result.findings.push(finding(file, rule, 'error', { line: 1, column: 1 }, message, fix));
    return result;
  };
  const opening = OPENING.exec(text);
  if (!opening)
    return dropped(
      'missing',
      'description is required',
      'frontmatter/missing',
      'SKILL.md has no frontmatter, so the gateway drops it (description is required)',
      'start the file with a block: `---`, `name: <skill-name>`, `description: <what it does and when to use it>`, `---` (one per line)',
    );
  const tail = text.slice(opening[0].length);
  const closing = CLOSING.exec(tail);
  if (!closing) {
    const reason = 'invalid frontmatter: UNTERMINATED_FRONTMATTER: missing closing --- delimiter';
    return dropped(
      'unclosed',
      reason,
      'frontmatter/unclosed',
      `frontmatter opened with \`---\` is never closed, so the gateway drops this skill (${reason})`,
      'add a line that is exactly `---` after the last field (`----` or `--- x` do not close it)',
    );
  }
  const block = tail.slice(0, closing.index);
  if (!block)
    return dropped(
      'empty',
      'description is required',
      'frontmatter/empty',
      'frontmatter block is empty, so the gateway drops this skill (description is required)',
    );

  const fallback = parseLineFallback(block);
  let parsed = parseOnce(block, fallback.data);
  let recovered = block;
  const repairs: { lineStart: number; key: string; line: string }[] = [];
  for (let i = 0; i < FREEFORM_TEXT_FIELDS.size && parsed.issues.length > 0; i += 1) {
    const next = repairFreeformField(recovered);
    if (!next || next.block === recovered) break;
    const end = recovered.indexOf('\n', next.lineStart);
    repairs.push({
      lineStart: next.lineStart,
      key: next.key,
      line: recovered.slice(next.lineStart, end === -1 ? undefined : end),
    });
    recovered = next.block;
    parsed = parseOnce(recovered, fallback.data);
  }
  const lc = parsed.lc;
  const lines = recovered.split('\n');

  const issue = parsed.issues[0];
  if (issue) {
    result.status = 'invalid';
    result.fields = {};
    result.gatewayReason = `invalid frontmatter: ${issue.code}: ${issue.message}`;
    const pos = issue.pos !== undefined ? filePos(lc, issue.pos) : { line: 2, column: 1 };
    result.findings.push(
      finding(
        file,
        'frontmatter/yaml-invalid',
        'error',
        pos,
        `frontmatter is not valid YAML, so the gateway drops this skill (${result.gatewayReason.split('\n')[0]})`,
        fixFor(issue, lines[pos.line - 2] ?? ''),
      ),
    );
    return result;
  }

  result.status = 'ok';
  result.fields = parsed.fields;
  result.data = parsed.data ?? {};
  const doc = parsed.doc;
  if (doc && isMap(doc.contents)) {
    for (const pair of doc.contents.items) {
      const k = pair.key;
      if (!isScalar(k) || !k.range) continue;
      result.keys.set(String(k.value).trim(), filePos(lc, k.range[0]));
      const v = pair.value;
      if (isScalar(v) && v.range)
        result.sources.set(String(k.value).trim(), recovered.slice(v.range[0], v.range[1]));
      const key = String(k.value).trim();
      // YAML takes `&x`, `!x` and ` # …` on the line as an anchor, a tag and a comment: the gateway loads the rest.
      if (
        isScalar(v) &&
        v.value !== null &&
        (key === 'description' || key === 'name') &&
        (v.anchor || v.tag || v.comment)
      ) {
        const what = v.anchor ? 'an anchor' : v.tag ? 'a tag' : 'a comment';
        const lost = v.anchor ? `&${v.anchor}` : v.tag ? v.tag : `#${v.comment ?? ''}`;
        const end = recovered.indexOf('\n', k.range[0]);
        const fix = quotedLineFix(recovered.slice(k.range[0], end === -1 ? undefined : end));
        result.findings.push(
          finding(
            file,
            'frontmatter/yaml-reading',
            'warning',
            filePos(lc, k.range[0]),
            `YAML reads ${JSON.stringify(lost)} on the \`${key}\` line as ${what}; the gateway loads ${JSON.stringify(v.toString())}`,
            fix ? `quote the value if it is text: ${fix}` : 'quote the value if it is text',
          ),
        );
      }
    }
  }
  for (const [key, idx] of fallback.keyLines) {
    if (!result.keys.has(key)) result.keys.set(key, { line: idx + 2, column: 1 });
  }
  for (const r of repairs) {
    const pos = filePos(lc, r.lineStart);
    const fix = quotedLineFix(r.line);
    result.findings.push(
      finding(
        file,
        'frontmatter/repaired',
        'warning',
        pos,
        `\`${r.key}\` is not valid YAML; the gateway repairs it by reading the whole line as one string`,
        fix ? `quote the value: ${fix}` : 'quote the value (wrap it in double quotes)',
      ),
    );
  }
  return result;
}
