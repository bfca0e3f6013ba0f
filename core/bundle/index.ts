// Bundle: deterministic pack and hostile-proof unpack of the signed, shipped skills archive.
export { BundleError, type BundleErrorCode } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type UnpackLimits } from './limits.js';
export { buildManifest, canonicalJson, parseManifest } from './manifest-json.js';
export { packBundle, GZIP_LEVEL, type PackResult } from './pack.js';
export { unpackBundle } from './unpack.js';
export { readBundleManifest } from './read-manifest.js';
