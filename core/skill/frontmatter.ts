// SKILL.md frontmatter parsing that mirrors the gateway: YAML first, OpenClaw's single-line fallback second.
//
// What OpenClaw does (openclaw/openclaw src/markdown/frontmatter.ts + src/agents/skills/local-loader.ts):
// - normalises CRLF and lone CR to LF; the file must start with `---`; the block ends at the first `\n---`;
//   the block is `normalized.slice(4, end)`. A UTF-8 BOM is NOT stripped there (readFileSync 'utf8').
// - `YAML.parse(block, { schema: 'core' })`; if it throws or is not a mapping, the result of a line parser
//   (`^([\w-]+):\s*(.*)$`, indented continuation lines for an empty inline value, quotes stripped) is used.
// - values are coerced to strings (numbers/booleans via String, objects via JSON), null is dropped.
// - a skill loads when `description` is non-empty after trim; `name` falls back to the folder name.
// - files over `skills.limits.maxSkillFileBytes` (default 256,000) are not read.
import { LineCounter, parseDocument, isMap, isScalar, visit, type Document } from 'yaml';
import type { Finding } from '../findings.js';

export type FrontmatterStatus =
  'yaml' | 'fallback' | 'missing' | 'unclosed' | 'empty' | 'invalid' | 'not-mapping';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedFrontmatter {
  status: FrontmatterStatus;
  /** YAML values when YAML parsed; the fallback's strings when only the fallback could read it. */
  data: Record<string, unknown>;
  /** Where each top-level key starts in the file (1-based). */
  keys: Map<string, Position>;
  /** Source text of top-level scalar values (YAML only), e.g. `1.0` where the value is the number 1. */
  sources: Map<string, string>;
  findings: Finding[];
}

const LINE_KEY = /^([\w-]+):/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

/**
 * OpenClaw's `/^([\w-]+):\s*(.*)$/` without its backtracking: that regex is quadratic on a long run of spaces
 * followed by U+2028 (seconds for a 40 KB line). Same result: the value after the longest whitespace prefix,
 * and no match when that value holds a line terminator.
 */
export function matchKeyLine(line: string): [key: string, value: string] | undefined {
  const m = LINE_KEY.exec(line);
  if (!m) return undefined;
  const value = line.slice(m[0].length).replace(/^\s+/, '');
  return LINE_TERMINATOR.test(value) ? undefined : [m[1] as string, value];
}
/** Alias expansion is the YAML bomb vector; real frontmatter never needs more than a handful. */
const MAX_ALIASES = 10;
/** Fixes quote the offending line; past this length the fix is described instead of shown. */
const MAX_FIX_LINE = 200;

/** Maps offsets inside the frontmatter block to file line/column (block begins at `blockStart`). */
class BlockPositions {
  private readonly starts: number[] = [0];
  constructor(
    private readonly text: string,
    private readonly blockStart: number,
  ) {
    for (let i = text.indexOf('\n'); i !== -1 && i < blockStart; i = text.indexOf('\n', i + 1)) {
      this.starts.push(i + 1);
    }
  }
  /** Position of a file offset that lies at or before the block start. */
  private fileLineOf(offset: number): Position {
    let line = this.starts.length - 1;
    while (line > 0 && (this.starts[line] ?? 0) > offset) line--;
    return { line: line + 1, column: offset - (this.starts[line] ?? 0) + 1 };
  }
  /** `lc` counts lines inside the block; the first block line may start mid-line in the file. */
  at(lc: LineCounter, blockOffset: number): Position {
    const start = this.fileLineOf(this.blockStart);
    const p = lc.linePos(blockOffset);
    return p.line === 1
      ? { line: start.line, column: start.column + p.col - 1 }
      : { line: start.line + p.line - 1, column: p.col };
  }
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

/** The yaml package appends "at line L, column C:" and a source excerpt; keep only the reason (no content). */
function yamlReason(err: { message: string; code: string }): string {
  const first = err.message.split('\n')[0] ?? err.code;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

/** OpenClaw's line parser, with where each key sits so findings can point at it. */
export function parseLineFallback(block: string): {
  data: Record<string, string>;
  keyLines: Map<string, number>;
} {
  const data: Record<string, string> = {};
  const keyLines = new Map<string, number>();
  const lines = block.split('\n');
  let i = 0;
  while (i < lines.length) {
    const m = matchKeyLine(lines[i] ?? '');
    if (!m) {
      i++;
      continue;
    }
    const [key, rest] = m;
    const inline = rest.trim();
    const next = lines[i + 1];
    if (!inline && next !== undefined && (next.startsWith(' ') || next.startsWith('\t'))) {
      const parts: string[] = [];
      let j = i + 1;
      for (; j < lines.length; j++) {
        const l = lines[j] as string;
        if (l.length > 0 && !l.startsWith(' ') && !l.startsWith('\t')) break;
        parts.push(l);
      }
      const value = parts.join('\n').trim();
      if (value) {
        data[key] = value;
        keyLines.set(key, i);
      }
      i = j;
      continue;
    }
    const value = stripQuotes(inline);
    if (value) {
      data[key] = value;
      keyLines.set(key, i);
    }
    i++;
  }
  return { data, keyLines };
}

function stripQuotes(v: string): string {
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) {
    return v.slice(1, -1);
  }
  return v;
}

/** `key: value` with the value double-quoted (JSON strings are valid YAML double-quoted scalars). */
function quotedLineFix(line: string): string | undefined {
  const m = matchKeyLine(line);
  const value = m?.[1].trim();
  if (!m || !value || line.length > MAX_FIX_LINE) return undefined;
  return `${m[0]}: ${JSON.stringify(value)}`;
}

/**
 * Parse the frontmatter of a decoded SKILL.md. Never throws; positions are 1-based file positions
 * (a leading BOM is not counted as a column, CRLF counts as one line break).
 */
export function parseFrontmatter(raw: string, file: string): ParsedFrontmatter {
  const result: ParsedFrontmatter = {
    status: 'missing',
    data: {},
    keys: new Map(),
    sources: new Map(),
    findings: [],
  };
  const text = (raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).replace(/\r\n?/g, '\n');
  const top = { line: 1, column: 1 };
  if (!text.startsWith('---')) {
    result.findings.push(
      finding(
        file,
        'frontmatter/missing',
        'error',
        top,
        'SKILL.md has no frontmatter; the gateway needs at least `description`',
        'start the file with a block: `---`, `name: <skill-name>`, `description: <what it does and when to use it>`, `---` (one per line)',
      ),
    );
    return result;
  }
  const end = text.indexOf('\n---', 3);
  if (end === -1) {
    result.status = 'unclosed';
    result.findings.push(
      finding(
        file,
        'frontmatter/unclosed',
        'error',
        top,
        'frontmatter opened with `---` is never closed',
        'add a line `---` after the last field',
      ),
    );
    return result;
  }
  const blockStart = Math.min(4, end);
  const block = text.slice(blockStart, end);
  if (!block.trim()) {
    result.status = 'empty';
    result.findings.push(finding(file, 'frontmatter/empty', 'error', top, 'frontmatter block is empty'));
    return result;
  }
  const positions = new BlockPositions(text, blockStart);
  const lc = new LineCounter();
  let yamlError: YamlProblem | undefined;
  let value: unknown;
  let doc: ReturnType<typeof parseDocument> | undefined;
  try {
    // uniqueKeys is checked by duplicateKey() below: the yaml package's own check is quadratic in the key count.
    // prettyErrors is off: its source excerpts cost seconds on long lines and we never show source anyway.
    doc = parseDocument(block, { lineCounter: lc, uniqueKeys: false, prettyErrors: false });
    yamlError = doc.errors[0] ?? duplicateKey(doc);
    if (!yamlError) value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    // toJS throws on alias bombs; deep nesting can overflow the stack. Either way the gateway's YAML fails too.
    value = undefined;
    yamlError = undefined;
    doc = undefined;
    void err;
  }

  if (
    doc &&
    !yamlError &&
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    isMap(doc.contents)
  ) {
    result.status = 'yaml';
    result.data = value as Record<string, unknown>;
    for (const pair of doc.contents.items) {
      const k = pair.key;
      if (!isScalar(k) || !k.range) continue;
      result.keys.set(String(k.value), positions.at(lc, k.range[0]));
      const v = pair.value;
      if (isScalar(v) && v.range) result.sources.set(String(k.value), block.slice(v.range[0], v.range[1]));
    }
    return result;
  }

  const yamlPos = yamlError ? positions.at(lc, yamlError.pos[0]) : positions.at(lc, 0);
  const fallback = parseLineFallback(block);
  const blockLines = block.split('\n');
  const fallbackKeys = Object.keys(fallback.data);
  if (fallbackKeys.length === 0) {
    const parsedButNotMap = !yamlError && doc !== undefined;
    result.status = parsedButNotMap ? 'not-mapping' : 'invalid';
    result.findings.push(
      parsedButNotMap
        ? finding(
            file,
            'frontmatter/not-mapping',
            'error',
            yamlPos,
            'frontmatter is not a `key: value` mapping',
          )
        : finding(
            file,
            'frontmatter/yaml-invalid',
            'error',
            yamlPos,
            `frontmatter is not valid YAML (${yamlError ? yamlReason(yamlError) : 'too deeply nested or too many aliases'}) and the gateway's line fallback finds no fields`,
          ),
    );
    return result;
  }

  result.status = 'fallback';
  result.data = fallback.data;
  const lineStarts = lineOffsets(blockLines);
  for (const [key, idx] of fallback.keyLines) result.keys.set(key, positions.at(lc, lineStarts[idx] ?? 0));
  const errLine = yamlError ? (blockLines[lc.linePos(yamlError.pos[0]).line - 1] ?? '') : '';
  const fix = quotedLineFix(errLine);
  result.findings.push(
    finding(
      file,
      'frontmatter/yaml-fallback',
      'warning',
      yamlPos,
      `frontmatter is not valid YAML (${yamlError ? yamlReason(yamlError) : 'too deeply nested or too many aliases'}); the gateway falls back to its line parser and reads ${fallbackKeys.length} field(s) as plain strings`,
      fix ? `quote the value: ${fix}` : 'quote the value (wrap it in double quotes)',
    ),
  );
  return result;
}

interface YamlProblem {
  pos: [number, number];
  code: string;
  message: string;
}

/** Duplicate keys in any mapping (what `uniqueKeys: true` rejects, and so what makes the gateway fall back). */
function duplicateKey(doc: Document): YamlProblem | undefined {
  let found: YamlProblem | undefined;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const k = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(k)) {
          const at = pair.key.range?.[0] ?? 0;
          found = { pos: [at, at + 1], code: 'DUPLICATE_KEY', message: 'Map keys must be unique' };
          return visit.BREAK;
        }
        seen.add(k);
      }
      return undefined;
    },
  });
  return found;
}

function lineOffsets(lines: string[]): number[] {
  const starts: number[] = [];
  let off = 0;
  for (const l of lines) {
    starts.push(off);
    off += l.length + 1;
  }
  return starts;
}
