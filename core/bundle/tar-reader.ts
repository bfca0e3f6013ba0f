// Streaming tar reader for the bundle dialect: ustar files and directories, pax `path`/`size` only.
// It is a push parser (feed it inflated chunks) so the caller controls backpressure and can stop
// at the first refusal without reading the rest.
import { BundleError } from './errors.js';
import { BLOCK, MAX_PAX_BYTES, decodeHeader, decodePax, isZeroBlock, padding } from './tar-header.js';

export interface TarEntry {
  path: string;
  kind: 'file' | 'dir';
  size: number;
  mode: number;
}

export interface TarSink {
  entry(e: TarEntry): Promise<void>;
  data(chunk: Buffer): Promise<void>;
  endEntry(): Promise<void>;
}

type State = 'header' | 'body' | 'pad' | 'pax' | 'eof1' | 'done';

function classify(type: string, path: string): 'file' | 'dir' {
  if (type === '0' || type === '7') {
    // '7' (contiguous file) is a regular file by POSIX; we never write it but treating it as a
    // special entry would be wrong, and it cannot do anything a '0' cannot.
    return 'file';
  }
  if (type === '5') return 'dir';
  const shown = JSON.stringify(path.slice(0, 80));
  if (type === '1' || type === '2') throw new BundleError('link-entry', `links are not allowed: ${shown}`);
  throw new BundleError('special-entry', `entry type '${type}' is not allowed: ${shown}`);
}

export class TarReader {
  private state: State = 'header';
  private block = Buffer.alloc(BLOCK);
  private blockFill = 0;
  private remaining = 0;
  private entrySize = 0;
  private pax: Buffer[] = [];
  private paxFill = 0;
  private override: Map<string, string> | null = null;

  constructor(private readonly sink: TarSink) {}

  get finished(): boolean {
    return this.state === 'done';
  }

  async write(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.state === 'body' || this.state === 'pad' || this.state === 'pax') {
        const n = Math.min(this.remaining, chunk.length - off);
        const part = chunk.subarray(off, off + n);
        off += n;
        this.remaining -= n;
        if (this.state === 'body') {
          if (n > 0) await this.sink.data(part);
          if (this.remaining === 0) await this.closeEntry();
        } else if (this.state === 'pax') {
          this.pax.push(part);
          if (this.remaining === 0) this.endPax();
        } else if (this.remaining === 0) {
          this.state = 'header';
        }
        continue;
      }
      const n = Math.min(BLOCK - this.blockFill, chunk.length - off);
      chunk.copy(this.block, this.blockFill, off, off + n);
      this.blockFill += n;
      off += n;
      if (this.blockFill < BLOCK) continue;
      this.blockFill = 0;
      await this.onBlock(this.block);
    }
  }

  /** Call at end of input: the archive must have ended cleanly (two zero blocks). */
  end(): void {
    if (this.state !== 'done') throw new BundleError('corrupt-tar', 'tar archive is truncated');
  }

  private async onBlock(block: Buffer): Promise<void> {
    if (this.state === 'done') {
      if (!isZeroBlock(block)) throw new BundleError('corrupt-tar', 'data after the end of the tar archive');
      return;
    }
    if (this.state === 'eof1') {
      if (!isZeroBlock(block)) throw new BundleError('corrupt-tar', 'lone zero block inside the tar archive');
      this.state = 'done';
      return;
    }
    if (isZeroBlock(block)) {
      if (this.override) throw new BundleError('corrupt-tar', 'pax header without an entry');
      this.state = 'eof1';
      return;
    }
    const h = decodeHeader(block);
    if (h.type === 'x') {
      if (this.override) throw new BundleError('corrupt-tar', 'two pax headers in a row');
      if (h.size > MAX_PAX_BYTES) throw new BundleError('corrupt-tar', 'pax header too large');
      this.pax = [];
      this.paxFill = h.size;
      this.remaining = h.size;
      this.state = 'pax';
      if (h.size === 0) this.endPax();
      return;
    }
    const over = this.override;
    this.override = null;
    let path = h.path;
    let size = h.size;
    if (over?.has('path')) path = over.get('path')!;
    if (over?.has('size')) {
      const text = over.get('size')!;
      if (!/^[0-9]{1,16}$/.test(text)) throw new BundleError('corrupt-tar', 'bad pax size');
      size = Number(text);
    }
    const kind = classify(h.type, path);
    if (kind === 'dir' && size !== 0) throw new BundleError('corrupt-tar', 'directory entry with a body');
    await this.sink.entry({ path, kind, size, mode: h.mode });
    this.entrySize = size;
    this.remaining = size;
    this.state = 'body';
    if (size === 0) await this.closeEntry();
  }

  private async closeEntry(): Promise<void> {
    await this.sink.endEntry();
    this.remaining = padding(this.entrySize);
    this.state = this.remaining === 0 ? 'header' : 'pad';
  }

  private endPax(): void {
    const body = Buffer.concat(this.pax);
    this.pax = [];
    this.override = decodePax(body);
    this.remaining = padding(this.paxFill);
    this.state = this.remaining === 0 ? 'header' : 'pad';
  }
}
