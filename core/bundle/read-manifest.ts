// Reads only the manifest (the first entry) of a bundle, for `sign` and reports; no files are written.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { BundleManifest } from '../bundle-manifest.js';
import { BundleError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import { MANIFEST_FILE, parseManifest } from './manifest-json.js';
import { TarReader, type TarEntry } from './tar-reader.js';

/** Thrown by the sink to stop reading once the manifest is complete. */
class Done extends Error {}

export async function readBundleManifest(
  bundleFile: string,
  maxBytes = DEFAULT_LIMITS.maxFileBytes,
): Promise<BundleManifest> {
  const parts: Buffer[] = [];
  const reader = new TarReader({
    async entry(e: TarEntry) {
      if (e.path !== MANIFEST_FILE || e.kind !== 'file') {
        throw new BundleError('manifest-invalid', `the first entry is not ${MANIFEST_FILE}`);
      }
      if (e.size > maxBytes) throw new BundleError('file-too-large', `${MANIFEST_FILE} is too large`);
    },
    async data(chunk: Buffer) {
      parts.push(chunk);
    },
    async endEntry() {
      throw new Done();
    },
  });
  const src = createReadStream(bundleFile);
  const gunzip = createGunzip();
  src.on('error', (err) => gunzip.destroy(err));
  src.pipe(gunzip);
  try {
    for await (const chunk of gunzip) await reader.write(chunk as Buffer);
    reader.end();
  } catch (err) {
    if (err instanceof Done) return parseManifest(Buffer.concat(parts));
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw new BundleError('corrupt-gzip', 'gzip stream is corrupt');
    throw err;
  } finally {
    src.destroy();
    gunzip.destroy();
  }
  throw new BundleError('manifest-invalid', `${MANIFEST_FILE} is missing`);
}
