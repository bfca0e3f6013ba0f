// Bundle: deterministic pack of the signed, shipped skills archive, and the rules its unpack (receiver/io/unpack.ts) keeps.
export { BundleError, type BundleErrorCode } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type UnpackLimits } from './limits.js';
export { buildManifest, canonicalJson, parseManifest } from './manifest-json.js';
export { packBundle, GZIP_LEVEL, type PackResult } from './pack.js';
export { readBundleManifest } from './read-manifest.js';
