// Size limits shared by the Action, the CLI and the receiver, and the unpack caps every hostile bundle meets.

/**
 * Per-file limit for every file but SKILL.md (whose limit is the gateway's 256,000 bytes), the same on both sides:
 * what the check accepts, the receiver unpacks. See docs/gateway.md "Sizes".
 */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
/** The compressed bundle a receiver accepts by default (MAX_BUNDLE_BYTES); the packer refuses a bigger one. */
export const DEFAULT_MAX_BUNDLE_BYTES = 50 * 1024 * 1024;

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
  maxFileBytes: DEFAULT_MAX_FILE_BYTES,
  maxDepth: 12,
  maxPathLength: 1024,
  maxRatio: 100,
  ratioGraceBytes: 1024 * 1024,
};

export function resolveLimits(limits?: Partial<UnpackLimits>): UnpackLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/**
 * Why a receiver left at its defaults would refuse this bundle for its size, or undefined: the packer's side of
 * "what the Action accepted, a default receiver accepts".
 */
export function refusedBySize(bundleBytes: number, unpackedBytes: number): string | undefined {
  if (bundleBytes > DEFAULT_MAX_BUNDLE_BYTES) {
    return `the bundle is ${bundleBytes} bytes, over a receiver's default MAX_BUNDLE_BYTES (${DEFAULT_MAX_BUNDLE_BYTES})`;
  }
  if (unpackedBytes > DEFAULT_LIMITS.maxTotalBytes) {
    return `the skills hold ${unpackedBytes} bytes, over what a receiver unpacks (${DEFAULT_LIMITS.maxTotalBytes})`;
  }
  return undefined;
}
