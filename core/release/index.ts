// GitHub releases over plain fetch: publish (create, upload, prune) and poll (latest + ETag, asset download).
export { type GitHubTarget, DEFAULT_API_URL, GitHubError, AssetTooLarge } from './target.js';
export {
  type RateInfo,
  RateLimited,
  parseRateLimit,
  rateLimitOf,
  MIN_UNKNOWN_WAIT_MS,
  MAX_RATE_LIMIT_WAIT_MS,
  capRetryAt,
} from './rate-limit.js';
export { type RetryPolicy } from './http.js';
export { type ReleaseInfo, type ReleaseAsset, type LatestRelease } from './latest.js';
export { downloadAsset } from './download.js';
export {
  type PublishRequest,
  type PublishResult,
  publishRelease,
  BUNDLE_ASSET,
  ENVELOPE_ASSET,
  DEFAULT_TAG_PREFIX,
} from './publish-release.js';
export {
  type ReleaseList,
  serialOfTag,
  oursBySerial,
  newestPublished,
  listReleases,
  getLatestOurs,
} from './ours.js';
export { type Comparison, compareCommits, getBranchTip } from './branch.js';
export { withRetry } from './http.js';
