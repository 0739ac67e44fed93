// Binary file for optimizer state (AdamW moments + step count, or the outer momentum buffer): any
// JSON-able object whose Float32Array fields (at any depth) are stored raw instead of as JSON numbers.
// Layout (little-endian):
//   0  magic "STLO"       4  u32 format version      8  u32 header length H
//  12  H bytes of UTF-8 JSON: the object with each Float32Array replaced by { "$f32": index, "length": n }
//      zero padding to a multiple of 4
//   .  the arrays' float32 values, in index order
//   .  u32 CRC-32 of every byte before it
import { crc32 } from '../common/crc32.ts';

export const OPTIMIZER_MAGIC = 'STLO';
export const OPTIMIZER_FORMAT_VERSION = 1;
const FIXED = 12;

interface ArrayRef {
  $f32: number;
  length: number;
}

function isRef(v: unknown): v is ArrayRef {
  return typeof v === 'object' && v !== null && typeof (v as ArrayRef).$f32 === 'number' && Object.keys(v).length === 2;
}

export function encodeOptimizerState(state: unknown): Uint8Array {
  const arrays: Float32Array[] = [];
  const json = JSON.stringify(state ?? null, (_k, v: unknown) => {
    if (v instanceof Float32Array) return { $f32: arrays.push(v) - 1, length: v.length };
    if (ArrayBuffer.isView(v)) throw new Error('optimizer state: only Float32Array typed arrays can be stored');
    return v;
  });
  const header = new TextEncoder().encode(json);
  const dataStart = align4(FIXED + header.length);
  const dataBytes = arrays.reduce((s, a) => s + a.byteLength, 0);
  const total = dataStart + dataBytes + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = OPTIMIZER_MAGIC.charCodeAt(i);
  view.setUint32(4, OPTIMIZER_FORMAT_VERSION, true);
  view.setUint32(8, header.length, true);
  out.set(header, FIXED);
  let off = dataStart;
  for (const a of arrays) {
    // Typed arrays are little-endian on every platform Node and browsers run on; copy the bytes as they are.
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
    off += a.byteLength;
  }
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export function decodeOptimizerState(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new Error('optimizer file: expected bytes (Uint8Array)');
  if (bytes.length < FIXED + 4) throw new Error(`optimizer file: truncated (${bytes.length} bytes)`);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== OPTIMIZER_MAGIC) throw new Error(`optimizer file: bad magic "${magic}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = bytes.length;
  // The checksum first: a truncated or corrupt file must never be half-read.
  if (crc32(bytes.subarray(0, total - 4)) !== view.getUint32(total - 4, true)) {
    throw new Error('optimizer file: checksum mismatch (truncated or corrupt)');
  }
  const version = view.getUint32(4, true);
  if (version !== OPTIMIZER_FORMAT_VERSION) throw new Error(`optimizer file: unsupported format version ${version}`);
  const headerLen = view.getUint32(8, true);
  if (FIXED + headerLen + 4 > total) throw new Error('optimizer file: header runs past the end');
  const refs: ArrayRef[] = [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED, FIXED + headerLen)), (_k, v: unknown) => {
      if (isRef(v)) refs.push(v);
      return v;
    });
  } catch (e) {
    throw new Error(`optimizer file: header is not valid JSON (${(e as Error).message})`);
  }
  refs.sort((a, b) => a.$f32 - b.$f32);
  let off = align4(FIXED + headerLen);
  const arrays: Float32Array[] = [];
  for (const [i, r] of refs.entries()) {
    if (r.$f32 !== i || !Number.isInteger(r.length) || r.length < 0) throw new Error('optimizer file: bad array table');
    const end = off + r.length * 4;
    if (end > total - 4) throw new Error('optimizer file: arrays run past the end');
    // slice() copies into a fresh, aligned buffer.
    arrays.push(new Float32Array(bytes.slice(off, end).buffer));
    off = end;
  }
  if (off !== total - 4) throw new Error(`optimizer file: ${total - 4 - off} unexpected bytes after the arrays`);
  return replaceRefs(parsed, arrays);
}

function replaceRefs(v: unknown, arrays: Float32Array[]): unknown {
  if (isRef(v)) return arrays[v.$f32];
  if (Array.isArray(v)) return v.map((x) => replaceRefs(x, arrays));
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = replaceRefs(x, arrays);
    return out;
  }
  return v;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
