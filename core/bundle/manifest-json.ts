// Bundle manifest (`skill-sync.json`): built from checked skills, written as canonical JSON, and
// parsed back strictly on the receiving side.
import { fingerprint } from '../digest.js';
import { MANIFEST_FILE, type BundleManifest, type ManifestSkill } from '../bundle-manifest.js';
import type { Skill, SkillFile } from '../skill/model.js';
import { isSafeRelativePath, isSafeSegment } from './entry-path.js';
import { BundleError } from './errors.js';
import { hasUnsafe } from '../printable.js';

export { MANIFEST_FILE };

/** Bytewise order of UTF-8 strings: the same on every machine and locale. */
export function compareBytes(a: string, b: string): number {
  // Fast path: below the surrogates a UTF-16 unit is a whole code point, and code point order is UTF-8 byte
  // order, so the first differing unit decides. Sorting 40k paths no longer allocates two buffers per compare.
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  return a.length - b.length;
}

function normalMode(mode: number): number {
  return mode & 0o100 ? 0o755 : 0o644;
}

export function buildManifest(skills: Skill[], retain: string[] = []): BundleManifest {
  const sorted = [...skills].sort((a, b) => compareBytes(a.name, b.name));
  const shipped = new Set(skills.map((s) => s.name));
  // A name that could not be a bundle folder was never live, so there is nothing to keep.
  const kept = [...new Set(retain)]
    .filter((n) => !shipped.has(n) && isSafeSegment(n) && Buffer.byteLength(n) <= 255)
    .sort(compareBytes);
  // Only when something was skipped, so bundles without skips keep their bytes (and digests).
  return {
    ...(kept.length ? { retain: kept } : {}),
    v: 1,
    skills: sorted.map((s): ManifestSkill => ({
      name: s.name,
      version: s.version,
      path: `skills/${s.name}`,
      source: s.path,
      fingerprint: s.fingerprint,
      files: [...s.files]
        .sort((a, b) => compareBytes(a.path, b.path))
        .map((f): SkillFile => ({ path: f.path, sha256: f.sha256, size: f.size, mode: normalMode(f.mode) })),
    })),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compareBytes))
      out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Canonical JSON: keys sorted bytewise at every level, no spaces, one trailing newline. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) + '\n';
}

const HEX64 = /^[0-9a-f]{64}$/;
/**
 * A manifest string that is safe to store and print: manifest strings end up in logs, `skill-sync audit` and
 * `status`, where an escape sequence could rewrite the terminal (or the clipboard) and a bidi override could
 * hide text (core/printable.ts).
 */
function plain(v: unknown): v is string {
  return typeof v === 'string' && !hasUnsafe(v);
}

function invalid(msg: string): never {
  throw new BundleError('manifest-invalid', msg);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFile(f: unknown, where: string): SkillFile {
  if (!isObject(f)) invalid(`${where}: file entry is not an object`);
  const { path, sha256, size, mode } = f;
  if (!plain(path) || !isSafeRelativePath(path)) invalid(`${where}: bad file path`);
  if (typeof sha256 !== 'string' || !HEX64.test(sha256)) invalid(`${where}/${path}: bad sha256`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    invalid(`${where}/${path}: bad size`);
  if (mode !== 0o644 && mode !== 0o755) invalid(`${where}/${path}: mode must be 0644 or 0755`);
  return { path, sha256, size, mode };
}

function checkSkill(s: unknown, index: number): ManifestSkill {
  if (!isObject(s)) invalid(`skills[${index}] is not an object`);
  const { name, version, path, source, fingerprint: fp, files } = s;
  if (!plain(name) || !isSafeSegment(name) || Buffer.byteLength(name) > 255) {
    invalid(`skills[${index}]: bad name`);
  }
  if (typeof version !== 'string') invalid(`${name}: version must be a string`);
  if (!plain(version)) invalid(`${name}: control character in version`);
  if (path !== `skills/${name}`) invalid(`${name}: path must be skills/${name}`);
  if (typeof source !== 'string') invalid(`${name}: source must be a string`);
  if (!plain(source)) invalid(`${name}: control character in source`);
  if (typeof fp !== 'string' || !HEX64.test(fp)) invalid(`${name}: bad fingerprint`);
  if (!Array.isArray(files)) invalid(`${name}: files must be an array`);
  return {
    name,
    version,
    path,
    source,
    fingerprint: fp,
    files: files.map((f) => checkFile(f, `skills/${name}`)),
  };
}

/** Parses `skill-sync.json` bytes and checks their shape; throws BundleError('manifest-invalid'). */
export function parseManifest(bytes: Buffer): BundleManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    invalid(`${MANIFEST_FILE} is not valid JSON`);
  }
  if (!isObject(doc) || doc.v !== 1) invalid(`${MANIFEST_FILE} must be an object with v: 1`);
  if (!Array.isArray(doc.skills)) invalid(`${MANIFEST_FILE}: skills must be an array`);
  const skills = doc.skills.map(checkSkill);
  const retain = checkRetain(doc.retain);
  const names = new Set<string>();
  for (const s of skills) {
    const key = s.name.normalize('NFC').toLowerCase();
    if (names.has(key)) invalid(`skill name '${s.name}' appears twice (or differs only by case)`);
    names.add(key);
    const paths = new Set<string>();
    for (const f of s.files) {
      if (paths.has(f.path)) invalid(`skills/${s.name}/${f.path} is listed twice`);
      paths.add(f.path);
    }
  }
  for (const name of retain) {
    if (names.has(name.normalize('NFC').toLowerCase()))
      invalid(`skill '${name}' is both shipped and retained`);
  }
  return retain.length ? { v: 1, skills, retain } : { v: 1, skills };
}

/** `retain`: optional, unique skill names (each a safe folder name, like a skill's own). */
function checkRetain(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) invalid(`${MANIFEST_FILE}: retain must be an array`);
  const seen = new Set<string>();
  return value.map((n, i) => {
    if (typeof n !== 'string' || !isSafeSegment(n) || Buffer.byteLength(n) > 255)
      invalid(`retain[${i}]: bad name`);
    if (seen.has(n)) invalid(`retain names '${n}' twice`);
    seen.add(n);
    return n;
  });
}

/** The fingerprint a manifest skill must carry for its files (docs/contracts.md, skill fingerprint). */
export function expectedFingerprint(files: SkillFile[]): string {
  return fingerprint(files);
}
