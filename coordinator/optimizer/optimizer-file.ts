// Binary file for optimizer state (AdamW moments + step count, or the outer momentum buffer): any
// JSON-able object whose Float32Array fields (at any depth) are stored raw instead of as JSON numbers.
// Layout (little-endian; the frame is model/envelope.ts's, with the payload 4-byte aligned):
//   0  magic "STLO"       4  u32 format version      8  u32 header length H
//  12  H bytes of UTF-8 JSON: the object with each Float32Array replaced by { "$f32": index, "length": n }
//      zero padding to a multiple of 4
//   .  the arrays' float32 values, in index order
//   .  u32 CRC-32 of every byte before it
import { decodeEnvelope, encodeEnvelope, type EnvelopeFormat } from '../../model/envelope.ts';

export const OPTIMIZER_MAGIC = 'STLO';
export const OPTIMIZER_FORMAT_VERSION = 1;

const FORMAT: EnvelopeFormat = {
  magic: OPTIMIZER_MAGIC, version: OPTIMIZER_FORMAT_VERSION, name: 'optimizer file', what: 'an STLM optimizer state file', align: 4,
};

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
  const dataBytes = arrays.reduce((s, a) => s + a.byteLength, 0);
  return encodeEnvelope(FORMAT, json, dataBytes, (payload) => {
    let off = 0;
    for (const a of arrays) {
      // Typed arrays are little-endian on every platform Node and browsers run on; copy the bytes as they are.
      payload.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
      off += a.byteLength;
    }
  });
}

export function decodeOptimizerState(bytes: Uint8Array): unknown {
  const refs: ArrayRef[] = [];
  // No payloadLength: the arrays run to the CRC, which is checked before the header is read.
  const { header, payload } = decodeEnvelope(FORMAT, bytes, {
    reviver: (_k, v) => {
      if (isRef(v)) refs.push(v);
      return v;
    },
  });
  refs.sort((a, b) => a.$f32 - b.$f32);
  let off = 0;
  const arrays: Float32Array[] = [];
  for (const [i, r] of refs.entries()) {
    if (r.$f32 !== i || !Number.isInteger(r.length) || r.length < 0) throw new Error('optimizer file: bad array table');
    const end = off + r.length * 4;
    if (end > payload.length) throw new Error('optimizer file: arrays run past the end');
    // slice() copies into a fresh, aligned buffer.
    arrays.push(new Float32Array(payload.slice(off, end).buffer));
    off = end;
  }
  if (off !== payload.length) throw new Error(`optimizer file: ${payload.length - off} unexpected bytes after the arrays`);
  return replaceRefs(header, arrays);
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
