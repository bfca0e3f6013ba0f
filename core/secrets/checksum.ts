// Token checksums: GitHub's and npm's tokens end in a base62 CRC32 of their random part.
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** CRC32 as 6 base62 digits, zero-padded: the tail of `ghp_`/`npm_` tokens. */
export function base62Crc32(data: string): string {
  let n = crc32(data) >>> 0;
  let out = '';
  while (n > 0) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out.padStart(6, '0');
}

/**
 * `body` is what follows the `xxx_` prefix: 30 random base62 characters then their checksum. Random look-alikes
 * fail this 1-in-2^32 check, so real tokens are told apart from noise without any network call.
 */
export function hasValidBase62Checksum(body: string): boolean {
  if (body.length <= 6) return false;
  return base62Crc32(body.slice(0, -6)) === body.slice(-6);
}
