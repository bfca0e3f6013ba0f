// Reading a shipped file once: open, fstat (size and exec bit), read whole; oversized files are only hashed.
import { close, fstat, open, read, type Stats } from 'node:fs';
import { sha256, sha256File } from '../digest.js';

export interface ShippedRead {
  sha256: string;
  size: number;
  /** 0o755 when the owner-exec bit is set, else 0o644. */
  mode: number;
  /** The content, unless the file is larger than the limit (then it is streamed through the hash only). */
  bytes?: Buffer;
}

// Callback fs rather than FileHandle promises: tens of thousands of small files make FileHandle's
// per-file objects, promises and GC the bottleneck (measured: ~3x the CPU of this path).
const openP = (p: string) =>
  new Promise<number>((res, rej) => open(p, 'r', (e, fd) => (e ? rej(e) : res(fd))));
const fstatP = (fd: number) => new Promise<Stats>((res, rej) => fstat(fd, (e, st) => (e ? rej(e) : res(st))));
const closeP = (fd: number) => new Promise<void>((res) => close(fd, () => res()));
const readP = (fd: number, buf: Buffer, off: number) =>
  new Promise<number>((res, rej) =>
    read(fd, buf, off, buf.length - off, off, (e, n) => (e ? rej(e) : res(n))),
  );

export async function readShipped(abs: string, maxFileSize: number): Promise<ShippedRead> {
  const fd = await openP(abs);
  let st: Stats;
  let bytes: Buffer;
  try {
    st = await fstatP(fd);
    const mode = st.mode & 0o100 ? 0o755 : 0o644;
    if (st.size > maxFileSize) {
      const { sha256: digest, size } = await sha256File(abs);
      return { sha256: digest, size, mode };
    }
    bytes = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = await readP(fd, bytes, off);
      if (n === 0) break; // truncated while we read: hash what is there
      off += n;
    }
    bytes = off === bytes.length ? bytes : bytes.subarray(0, off);
    return { sha256: sha256(bytes), size: bytes.length, mode, bytes };
  } finally {
    await closeP(fd);
  }
}
