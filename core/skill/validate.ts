// SKILL.md validation: encoding, frontmatter parse, JSON Schema shape (ajv) and the profile's rules.
import { isUtf8 } from 'node:buffer';
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Finding } from '../findings.js';
import { schemaValidator } from '../schemas.js';
import { parseFrontmatter, type ParsedFrontmatter, type Position } from './frontmatter.js';
import { profileRules, type Profile } from './profiles.js';

export interface SkillMdContext {
  /** SKILL.md path relative to the repo root (for findings). */
  file: string;
  /** The skill folder's own name (the gateway's fallback name; Agent Skills' required name). */
  folderName: string;
  profile?: Profile;
  /** Overrides the profile's required fields. */
  requiredFields?: readonly string[];
}

export interface SkillMdResult {
  /** Frontmatter `name` (trimmed), or the folder name as the gateway does. */
  name: string;
  /** Where the name comes from, for duplicate-name findings. */
  namePosition: Position;
  description?: string;
  /** Frontmatter `version` as the gateway would read it (stringified). */
  version?: string;
  frontmatter: ParsedFrontmatter;
  /** True when the gateway loads this SKILL.md as a skill (frontmatter parses, description non-empty). */
  loads: boolean;
  findings: Finding[];
}

/** Byte offset of the first invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  // Node's native check answers the common case (valid) at once; the walk below only has to find where.
  if (isUtf8(buf)) return -1;
  let i = 0;
  while (i < buf.length) {
    const b = buf[i] as number;
    let n: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [n, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [n, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [n, min] = [3, 0x10000];
    else return i;
    if (i + n >= buf.length) return i;
    let cp = b & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

function bytePosition(buf: Uint8Array, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  const prefix = Buffer.from(buf.subarray(lineStart, offset)).toString('utf8');
  // A BOM on line 1 is not a column an editor shows.
  const column = (line === 1 && prefix.charCodeAt(0) === 0xfeff ? prefix.length - 1 : prefix.length) + 1;
  return { line, column };
}

/** Long values are shown cut, so a message stays one readable line. */
function clip(v: string): string {
  return v.length > 80 ? `${v.slice(0, 77)}...` : v;
}

function ruleFor(err: ErrorObject): string {
  if (err.keyword === 'type') return 'frontmatter/type';
  const field = err.instancePath.split('/')[1];
  const lengthish = ['minLength', 'maxLength', 'pattern'].includes(err.keyword);
  if (field === 'name' && lengthish) return 'frontmatter/name-format';
  if (field === 'description' && lengthish) return 'frontmatter/description-length';
  return 'frontmatter/shape';
}

function schemaMessage(err: ErrorObject, value: unknown): string {
  const field = err.instancePath.split('/').slice(1).join('.') || 'frontmatter';
  if (err.keyword === 'type') {
    const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return `\`${field}\` must be ${String(err.params.type).replace(',', ' or ')}, not ${actual}`;
  }
  if (err.keyword === 'pattern' && field === 'name') {
    return '`name` must be lowercase letters, digits and single hyphens, not starting or ending with a hyphen';
  }
  return `\`${field}\` ${err.message ?? 'is invalid'}`;
}

export function validateSkillMd(bytes: Uint8Array, ctx: SkillMdContext): SkillMdResult {
  const profile = ctx.profile ?? 'openclaw';
  const rules = profileRules(profile);
  const findings: Finding[] = [];
  const at = (pos: Position | undefined) => pos ?? { line: 1, column: 1 };
  const push = (
    rule: string,
    severity: Finding['severity'],
    pos: Position | undefined,
    message: string,
    fix?: string,
  ) => findings.push({ severity, rule, file: ctx.file, ...at(pos), message, ...(fix ? { fix } : {}) });

  const bad = firstInvalidUtf8(bytes);
  if (bad !== -1) {
    // The gateway reads SKILL.md as UTF-8 with replacement characters: it still loads, garbled.
    push(
      'file/encoding',
      'warning',
      bytePosition(bytes, bad),
      'SKILL.md is not valid UTF-8; the gateway loads it with the bad bytes replaced by U+FFFD',
      're-save the file as UTF-8',
    );
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const fm = parseFrontmatter(text, ctx.file);
  findings.push(...fm.findings);
  const data = fm.data;
  const fields = fm.fields;

  // Shape and type checks come from the published schema so editors and the validator agree. The gateway turns
  // every value into a string, so under its profile a shape problem is a warning: the skill still loads.
  if (fm.status === 'ok') {
    const validate = schemaValidator('frontmatter', rules.schemaDef);
    if (!validate(data)) {
      const seen = new Set<string>();
      for (const err of validate.errors ?? []) {
        const key = `${err.instancePath}|${err.keyword}`;
        if (seen.has(key) || err.keyword === 'allOf') continue;
        seen.add(key);
        const field = err.instancePath.split('/')[1] ?? '';
        const value = field ? data[field] : data;
        // An empty YAML value the line reader fills is reported once, as frontmatter/line-value below.
        if (value === null && rules.gatewayLenient) continue;
        const rule = ruleFor(err);
        const scalar = typeof value === 'number' || typeof value === 'boolean';
        const severity = rules.gatewayLenient ? 'warning' : 'error';
        const loaded = field ? fields[field] : undefined;
        const message =
          rule === 'frontmatter/type' && rules.gatewayLenient && loaded !== undefined
            ? `${schemaMessage(err, value)}; the gateway coerces it to the string ${JSON.stringify(clip(loaded))}`
            : schemaMessage(err, value);
        const fix =
          rule === 'frontmatter/type' && err.params.type === 'string'
            ? scalar
              ? `quote it: ${field}: ${JSON.stringify(fm.sources.get(field) ?? String(value))}`
              : `write \`${field}\` as one string`
            : undefined;
        push(
          rule === 'frontmatter/type' && rules.gatewayLenient ? 'frontmatter/coerced' : rule,
          severity,
          fm.keys.get(field),
          message,
          fix,
        );
      }
    }
    // `description: # text` is an empty value to YAML (a comment); the gateway's line reader reads the text instead.
    for (const field of ['name', 'description']) {
      const v = data[field];
      if ((v === null || v === undefined) && fields[field] !== undefined) {
        push(
          'frontmatter/line-value',
          'warning',
          fm.keys.get(field),
          `YAML reads \`${field}\` as empty, but the gateway's line reader loads ${JSON.stringify(clip(fields[field]))}`,
          `quote the value: ${field}: ${JSON.stringify(clip(fields[field]))}`,
        );
      }
    }
  }

  const required = ctx.requiredFields ?? rules.required;
  if (fm.status === 'ok') {
    for (const field of required) {
      const v = fields[field];
      if (!v) {
        const present = Object.hasOwn(data, field);
        const gateway = field === 'description' && !ctx.requiredFields && rules.gatewayLenient;
        push(
          'frontmatter/required',
          'error',
          fm.keys.get(field),
          (present
            ? `\`${field}\` is empty`
            : `\`${field}\` is required (profile ${ctx.requiredFields ? '--required-fields' : profile})`) +
            (gateway ? ', so the gateway drops this skill (description is required)' : ''),
          `add \`${field}: <value>\` to the frontmatter`,
        );
      }
    }
  }

  const rawName = fields.name?.trim();
  const name = rawName || ctx.folderName;
  if (rules.nameMatchesFolder && rawName && rawName !== ctx.folderName) {
    push(
      'frontmatter/name-mismatch',
      'error',
      fm.keys.get('name'),
      `\`name\` is '${rawName}' but the folder is '${ctx.folderName}'`,
      `rename the folder or set name: ${ctx.folderName}`,
    );
  }
  const description = fields.description?.trim() || undefined;
  const version = fields.version?.trim() || undefined;
  return {
    name,
    namePosition: at(rawName ? fm.keys.get('name') : undefined),
    ...(description ? { description } : {}),
    ...(version ? { version } : {}),
    frontmatter: fm,
    loads: fm.status === 'ok' && description !== undefined,
    findings,
  };
}
