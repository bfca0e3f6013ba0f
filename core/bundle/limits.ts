// Unpack caps: every resource a hostile bundle could exhaust has a ceiling (DESIGN.md "Apply engine").

export interface UnpackLimits {
  /** Tar entries (files and directories; pax headers are not counted). */
  maxEntries: number;
  /** Sum of declared file sizes. */
  maxTotalBytes: number;
  maxFileBytes: number;
  /** Path segments, e.g. `skills/a/b.md` is 3. */
  maxDepth: number;
  /** UTF-8 bytes of an entry path. */
  maxPathLength: number;
  /** Inflated bytes per compressed byte... */
  maxRatio: number;
  /** ...checked only once this many bytes were inflated, so tiny, very compressible bundles pass. */
  ratioGraceBytes: number;
}

export const DEFAULT_LIMITS: UnpackLimits = {
  maxEntries: 20_000,
  maxTotalBytes: 200 * 1024 * 1024,
  maxFileBytes: 10 * 1024 * 1024,
  maxDepth: 12,
  maxPathLength: 1024,
  maxRatio: 100,
  ratioGraceBytes: 1024 * 1024,
};

export function resolveLimits(limits?: Partial<UnpackLimits>): UnpackLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}
