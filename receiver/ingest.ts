// Bundle ingest: stream a body to a file on the data volume, capped at the signed size and hashed on the way.
import { createHash } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { released } from './io/memory.js';
import { Refusal } from './refusal.js';

/**
 * Reads `body` into `file`, refusing as soon as it exceeds the signed size, and checks the digest at the end.
 * Nothing here decompresses or parses a byte: that waits until the bytes are proven to be the signed ones.
 */
export async function receiveBundle(
  body: AsyncIterable<Uint8Array>,
  file: string,
  expected: { sha256: string; size: number },
): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > expected.size)
        throw new Refusal(400, 'size-mismatch', `body is larger than the signed ${expected.size} bytes`);
      hash.update(chunk);
      await fh.write(chunk);
      released(chunk.byteLength);
    }
    if (size !== expected.size)
      throw new Refusal(400, 'size-mismatch', `body has ${size} bytes, the envelope signed ${expected.size}`);
    if (hash.digest('hex') !== expected.sha256)
      throw new Refusal(400, 'digest-mismatch', 'body sha256 does not match the signed digest');
    // No fsync: the file only lives until it is unpacked, and a crash discards it anyway (recovery empties tmp/).
  } catch (err) {
    await fh.close();
    await rm(file, { force: true });
    throw err;
  }
  await fh.close();
}
