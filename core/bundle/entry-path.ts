// Entry names: the checks that keep every unpacked path a plain relative path inside staging.
import { BundleError } from './errors.js';
import type { UnpackLimits } from './limits.js';

const FORBIDDEN_CHAR = /[\u0000-\u001f\u007f\\]/;

/** A single folder or file name that is safe on every filesystem we write to. */
export function isSafeSegment(s: string): boolean {
  return s !== '' && s !== '.' && s !== '..' && !s.includes('/') && !FORBIDDEN_CHAR.test(s);
}

/** A relative POSIX path made only of safe segments (used for manifest file paths too). */
export function isSafeRelativePath(p: string): boolean {
  return p !== '' && p.split('/').every(isSafeSegment);
}

/**
 * Validates an entry path from a tar header and returns it without the trailing '/' of directories.
 * Order matters for the error code a hostile bundle gets: traversal first, then bad characters,
 * then depth, then length.
 */
export function checkEntryPath(raw: string, kind: 'file' | 'dir', limits: UnpackLimits): string {
  const shown = JSON.stringify(raw.length > 80 ? raw.slice(0, 80) + '…' : raw);
  let p = raw;
  if (kind === 'dir' && p.endsWith('/')) p = p.slice(0, -1);
  if (p.startsWith('/')) throw new BundleError('path-traversal', `absolute path ${shown}`);
  const segments = p.split('/');
  if (segments.includes('..')) throw new BundleError('path-traversal', `'..' in path ${shown}`);
  if (FORBIDDEN_CHAR.test(p)) throw new BundleError('bad-name', `control character or backslash in ${shown}`);
  if (!segments.every(isSafeSegment)) throw new BundleError('bad-name', `empty or '.' segment in ${shown}`);
  if (segments.length > limits.maxDepth) {
    throw new BundleError(
      'too-deep',
      `${segments.length} path segments (max ${limits.maxDepth}) in ${shown}`,
    );
  }
  if (Buffer.byteLength(p) > limits.maxPathLength) {
    throw new BundleError('path-too-long', `path longer than ${limits.maxPathLength} bytes: ${shown}`);
  }
  return p;
}

/** The key two names collide under on case-insensitive or normalising filesystems (APFS, NTFS). */
export function foldName(p: string): string {
  return p.normalize('NFC').toLowerCase();
}
