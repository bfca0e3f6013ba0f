// POSIX ustar headers (plus pax `path`/`size` records): written by the packer, read by the unpacker.
// We write the 512-byte blocks ourselves rather than through node-tar so every byte is under our
// control (no uname lookups, no atime/ctime pax records, no platform quirks) and the reader accepts
// only the small dialect we emit.
import { BundleError } from './errors.js';

export const BLOCK = 512;
/** Fixed mtime of every entry: 2000-01-01T00:00:00Z (not 0, which some tools treat as "unset"). */
export const FIXED_MTIME = 946_684_800;
export const ZERO_BLOCK = Buffer.alloc(BLOCK);
/** Cap on a pax extended header body: room for a long path, not for a memory bomb. */
export const MAX_PAX_BYTES = 64 * 1024;

export interface HeaderFields {
  path: string;
  /** Tar typeflag: '0' file, '5' directory, 'x' pax, '1' hardlink, '2' symlink, '3'/'4' devices, '6' FIFO. */
  type: string;
  size: number;
  mode: number;
  mtime?: number;
  linkname?: string;
}

/** Bytes needed after a body of `size` bytes to reach the next block boundary. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function writeString(block: Buffer, offset: number, width: number, value: string): void {
  if (value === '') return;
  if (Buffer.byteLength(value) > width) throw new Error(`tar field too long: ${value.slice(0, 40)}`);
  block.write(value, offset, 'utf8');
}

function writeOctal(block: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new Error(`tar numeric field overflow: ${value}`);
  block.write(digits + '\0', offset, 'ascii');
}

/**
 * The fields every header we write shares (uid/gid 0, fixed mtime, magic, no devices, checksum as spaces):
 * copied into each new header, so packing 50,000 entries formats only what differs.
 */
const TEMPLATE = (() => {
  const block = Buffer.alloc(BLOCK);
  writeOctal(block, 108, 8, 0); // uid
  writeOctal(block, 116, 8, 0); // gid
  writeOctal(block, 136, 12, FIXED_MTIME);
  block.write('        ', 148, 'ascii'); // checksum counts as spaces while summing
  block.write('ustar\u000000', 257, 'binary'); // magic "ustar\0", version "00"
  // uname (265) and gname (297) stay empty: no user names in a reproducible bundle.
  writeOctal(block, 329, 8, 0); // devmajor
  writeOctal(block, 337, 8, 0); // devminor
  return block;
})();

/** ustar splits long names at a '/' into prefix (155) and name (100); null when that cannot hold it. */
export function splitUstarPath(p: string): { name: string; prefix: string } | null {
  if (Buffer.byteLength(p) <= 100) return { name: p, prefix: '' };
  for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '')
      return { name, prefix };
  }
  return null;
}

/** One raw 512-byte ustar header. `path` must fit (see `encodeEntry` for the pax fallback). */
export function encodeHeader(f: HeaderFields, split = splitUstarPath(f.path)): Buffer {
  if (!split) throw new Error(`path does not fit a ustar header: ${f.path.slice(0, 40)}…`);
  const block = Buffer.allocUnsafe(BLOCK);
  TEMPLATE.copy(block);
  writeString(block, 0, 100, split.name);
  writeOctal(block, 100, 8, f.mode);
  writeOctal(block, 124, 12, f.size);
  if (f.mtime !== undefined && f.mtime !== FIXED_MTIME) writeOctal(block, 136, 12, f.mtime);
  block.write(f.type, 156, 'ascii');
  writeString(block, 157, 100, f.linkname ?? '');
  writeString(block, 345, 155, split.prefix);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i] as number;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return block;
}

/** A pax record `"<len> key=value\n"`, where len counts the whole record including its own digits. */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + String(bodyLen).length;
  while (len !== bodyLen + String(len).length) len = bodyLen + String(len).length;
  return `${len}${body}`;
}

/** Header block(s) for one entry: a pax `path` record first when the path does not fit ustar. */
export function encodeEntry(f: HeaderFields): Buffer {
  const split = splitUstarPath(f.path);
  if (split) return encodeHeader(f, split);
  const pax = Buffer.from(paxRecord('path', f.path), 'utf8');
  const paxHeader = encodeHeader({
    path: 'PaxHeader',
    type: 'x',
    size: pax.length,
    mode: 0o644,
    mtime: f.mtime,
  });
  const shortName = Buffer.from(f.path, 'utf8')
    .subarray(0, 99)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
  return Buffer.concat([
    paxHeader,
    pax,
    Buffer.alloc(padding(pax.length)),
    encodeHeader(f, { name: shortName, prefix: '' }),
  ]);
}

export interface DecodedHeader {
  path: string;
  type: string;
  size: number;
  mode: number;
  linkname: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readString(block: Buffer, offset: number, width: number): string {
  const field = block.subarray(offset, offset + width);
  const end = field.indexOf(0);
  try {
    return utf8.decode(end === -1 ? field : field.subarray(0, end));
  } catch {
    throw new BundleError('bad-name', 'entry name is not valid UTF-8');
  }
}

function readOctal(block: Buffer, offset: number, width: number, what: string): number {
  // Base-256 (high bit set) numbers are legal GNU extensions but never needed here: refuse them.
  const text = block
    .toString('ascii', offset, offset + width)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
  if (!/^[0-7]*$/.test(text)) throw new BundleError('corrupt-tar', `bad ${what} field in tar header`);
  const value = text === '' ? 0 : parseInt(text, 8);
  if (!Number.isSafeInteger(value)) throw new BundleError('corrupt-tar', `${what} out of range`);
  return value;
}

export function isZeroBlock(block: Buffer): boolean {
  return block.equals(ZERO_BLOCK);
}

/** Parses and checks one header block (checksum, POSIX magic). Names are not validated here. */
export function decodeHeader(block: Buffer): DecodedHeader {
  const stored = readOctal(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (sum !== stored) throw new BundleError('corrupt-tar', 'tar header checksum mismatch');
  if (block.toString('binary', 257, 263) !== 'ustar\0') {
    throw new BundleError('corrupt-tar', 'not a POSIX ustar header');
  }
  const name = readString(block, 0, 100);
  const prefix = readString(block, 345, 155);
  const typeByte = block[156]!;
  return {
    path: prefix ? `${prefix}/${name}` : name,
    type: typeByte === 0 ? '0' : String.fromCharCode(typeByte),
    size: readOctal(block, 124, 12, 'size'),
    mode: readOctal(block, 100, 8, 'mode'),
    linkname: readString(block, 157, 100),
  };
}

/** Parses a pax extended header body into its records; strict about the length-prefixed format. */
export function decodePax(body: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let pos = 0;
  while (pos < body.length) {
    const space = body.indexOf(0x20, pos);
    if (space === -1 || space - pos > 10) throw new BundleError('corrupt-tar', 'malformed pax record');
    const lenText = body.toString('ascii', pos, space);
    if (!/^[1-9][0-9]*$/.test(lenText)) throw new BundleError('corrupt-tar', 'malformed pax record length');
    const len = Number(lenText);
    const end = pos + len;
    if (end > body.length || body[end - 1] !== 0x0a)
      throw new BundleError('corrupt-tar', 'malformed pax record');
    let record: string;
    try {
      record = utf8.decode(body.subarray(space + 1, end - 1));
    } catch {
      throw new BundleError('bad-name', 'pax record is not valid UTF-8');
    }
    const eq = record.indexOf('=');
    if (eq <= 0) throw new BundleError('corrupt-tar', 'malformed pax record');
    records.set(record.slice(0, eq), record.slice(eq + 1));
    pos = end;
  }
  return records;
}
