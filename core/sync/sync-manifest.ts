// SYNC.json (seed 004): parse, apply the published JSON Schema, then the checks a schema cannot express.
// Shared by the CI validator (every SYNC.json next to a SKILL.md) and `skill-sync sync validate|generate`.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject } from 'ajv';
import type { Finding } from '../findings.js';
import { schemaValidator } from '../schemas.js';
import { isInside, outputProblem, protectedPaths, realPathSoFar } from './confine.js';
import { parseJsonWithPositions, pointerOf, type Position } from './json-positions.js';
import { PATTERN_RE } from './pattern.js';

export const SYNC_FILE = 'SYNC.json';

export interface SyncManifest {
  version: '1';
  /** Absolute path of the generated file, under the data root. */
  outputFile: string;
  /** State-key globs (`*` only) the generator renders. */
  patterns: string[];
  /** Executable, relative to the skill folder. */
  generator: string;
  description?: string;
}

export interface SyncManifestContext {
  /** Repo-relative path of the SYNC.json, used in findings. */
  file: string;
  /** Absolute path of the skill folder that holds the SYNC.json. */
  skillDir: string;
  /** Data root the output file must stay under (default /data). */
  dataRoot: string;
  /** Folders the output file must stay out of; default core/sync/confine.ts protectedPaths(dataRoot). */
  protectedPaths?: readonly string[];
}

export interface SyncManifestResult {
  /** Present only when there is no error finding. */
  manifest?: SyncManifest;
  findings: Finding[];
}

/** Rule id for a schema failure, by the field it concerns: stable ids users can grep for and allowlist. */
function ruleFor(err: ErrorObject, value: unknown): { rule: string; message: string } {
  const field = err.instancePath.split('/')[1] ?? '';
  switch (field) {
    case '':
      if (err.keyword === 'required')
        return {
          rule: 'sync/missing-field',
          message: `missing required field '${String(err.params.missingProperty)}'`,
        };
      if (err.keyword === 'additionalProperties')
        return {
          rule: 'sync/unknown-field',
          message: `unknown field '${String(err.params.additionalProperty)}' (allowed: version, outputFile, patterns, generator, description)`,
        };
      return { rule: 'sync/not-object', message: 'SYNC.json must be a JSON object' };
    case 'version':
      return { rule: 'sync/version-invalid', message: `version must be the string "1"` };
    case 'outputFile':
      if (typeof value === 'string' && !value.startsWith('/'))
        return {
          rule: 'sync/output-file-not-absolute',
          message: `outputFile must be an absolute path, got '${value}'`,
        };
      return {
        rule: 'sync/output-file-invalid',
        message: `outputFile must be an absolute file path (string, not ending in '/')`,
      };
    case 'patterns':
      if (err.instancePath.split('/').length > 2)
        return {
          rule: 'sync/pattern-invalid',
          message: `pattern ${JSON.stringify(value)} is invalid: use 1-256 chars of [A-Za-z0-9_.:/@#+=-] with '*' as the only wildcard`,
        };
      if (err.keyword === 'minItems')
        return { rule: 'sync/patterns-empty', message: 'patterns must list at least one pattern' };
      return { rule: 'sync/patterns-invalid', message: `patterns must be an array of 1-64 strings` };
    case 'generator':
      if (typeof value === 'string' && value.startsWith('/'))
        return {
          rule: 'sync/generator-absolute',
          message: `generator must be relative to the skill folder, got '${value}'`,
        };
      return {
        rule: 'sync/generator-invalid',
        message: 'generator must be a non-empty relative path string',
      };
    case 'description':
      return {
        rule: 'sync/description-invalid',
        message: 'description must be a string of at most 1024 chars',
      };
    default:
      return { rule: 'sync/schema', message: `${err.instancePath} ${err.message ?? 'is invalid'}` };
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let cur = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

export function validateSyncManifest(text: string, ctx: SyncManifestContext): SyncManifestResult {
  const findings: Finding[] = [];
  const add = (rule: string, at: Position, message: string, fix?: string): void => {
    // ajv can fail one value on several keywords (pattern and minLength); one finding per rule and place is enough.
    if (findings.some((f) => f.rule === rule && f.line === at.line && f.column === at.column)) return;
    findings.push({
      severity: 'error',
      rule,
      file: ctx.file,
      line: at.line,
      column: at.column,
      message,
      ...(fix ? { fix } : {}),
    });
  };

  const parsed = parseJsonWithPositions(text);
  if (parsed.error) {
    add('sync/json-syntax', parsed.error.at, `invalid JSON: ${parsed.error.message}`);
    return { findings };
  }
  for (const d of parsed.duplicates)
    add(
      'sync/duplicate-key',
      d.at,
      `duplicate key '${d.pointer.slice(1)}' (JSON readers disagree on which one wins)`,
      'remove one of them',
    );
  const doc = parsed.value;
  const posOf = (pointer: string): Located =>
    parsed.positions.get(pointer) ?? parsed.positions.get('') ?? { value: { line: 1, column: 1 } };
  type Located = { key?: Position; value: Position };

  const validate = schemaValidator('sync');
  const failedFields = new Set<string>();
  if (!validate(doc)) {
    for (const err of validate.errors ?? []) {
      const field = err.instancePath.split('/')[1] ?? '';
      failedFields.add(field);
      const { rule, message } = ruleFor(err, valueAt(doc, err.instancePath));
      const at =
        err.keyword === 'additionalProperties'
          ? (posOf(pointerOf(err.instancePath, String(err.params.additionalProperty))).key ?? posOf('').value)
          : posOf(err.instancePath).value;
      add(rule, at, message);
    }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return { findings };
  const m = doc as Record<string, unknown>;

  if (!failedFields.has('outputFile') && typeof m.outputFile === 'string')
    checkOutputFile(m.outputFile, posOf('/outputFile').value);
  if (!failedFields.has('generator') && typeof m.generator === 'string')
    checkGenerator(m.generator, posOf('/generator').value);

  function checkOutputFile(outputFile: string, at: Position): void {
    const problem = outputProblem(
      outputFile,
      ctx.dataRoot,
      ctx.protectedPaths ?? protectedPaths(ctx.dataRoot),
    );
    if (problem) add(problem.rule, at, problem.message, problem.fix);
  }

  function checkGenerator(generator: string, at: Position): void {
    const skillDir = path.resolve(ctx.skillDir);
    const target = path.resolve(skillDir, generator);
    if (!isInside(target, skillDir) || target === skillDir) {
      add(
        'sync/generator-outside-skill',
        at,
        `generator '${generator}' points outside the skill folder`,
        'keep the script inside the skill, e.g. scripts/generate.mjs',
      );
      return;
    }
    let st;
    try {
      st = statSync(target);
    } catch {
      add('sync/generator-missing', at, `generator '${generator}' does not exist in the skill folder`);
      return;
    }
    const real = realPathSoFar(target);
    const realSkill = realPathSoFar(skillDir);
    if (real === undefined || realSkill === undefined || !isInside(real, realSkill)) {
      add(
        'sync/generator-outside-skill',
        at,
        `generator '${generator}' is a symlink that leaves the skill folder`,
      );
      return;
    }
    if (!st.isFile()) {
      add('sync/generator-not-file', at, `generator '${generator}' is not a regular file`);
      return;
    }
    // The bundle keeps only the owner-exec bit (mode 0644 or 0755), so that is the bit that counts.
    if ((st.mode & 0o100) === 0)
      add(
        'sync/generator-not-executable',
        at,
        `generator '${generator}' is not executable`,
        `chmod +x ${generator} (and commit the mode: git update-index --chmod=+x)`,
      );
  }

  if (findings.length > 0) return { findings };
  const manifest: SyncManifest = {
    version: '1',
    outputFile: path.normalize(m.outputFile as string),
    patterns: [...(m.patterns as string[])],
    generator: m.generator as string,
    ...(typeof m.description === 'string' ? { description: m.description } : {}),
  };
  return { manifest, findings };
}

// Re-exported so callers need one import for the pattern rule the schema also encodes.
export { PATTERN_RE };
