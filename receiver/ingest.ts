// Bundle ingest: stream a body to a file on the data volume, capped at the signed size and hashed on the way.
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { released } from './io/memory.js';
import { Refusal } from './refusal.js';

/**
 * Reads `body` into `file`, refusing as soon as it exceeds the signed size, and returns what was read for the
 * admission rule (receiver/admission.ts) to compare with the signed size and digest. Nothing here decompresses
 * or parses a byte: that waits until the bytes are proven to be the signed ones.
 */
export async function receiveBundle(
  body: AsyncIterable<Uint8Array>,
  file: string,
  signedSize: number,
): Promise<{ size: number; sha256: string }> {
  const fh = await open(file, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > signedSize)
        throw new Refusal('size-mismatch', `body is larger than the signed ${signedSize} bytes`);
      hash.update(chunk);
      await fh.write(chunk);
      released(chunk.byteLength);
    }
    // No fsync: the file only lives until it is unpacked, and a crash discards it anyway (recovery empties tmp/).
  } catch (err) {
    await fh.close();
    await rm(file, { force: true });
    throw err;
  }
  await fh.close();
  return { size, sha256: hash.digest('hex') };
}
