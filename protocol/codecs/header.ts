// The 12-byte header every codec payload starts with, so a receiver decodes by the id the payload carries
// and detects corruption before using a single value:
//   [0] magic 0x47 ('G')  [1] codec id  [2] format version  [3] codec parameter (e.g. int8 block size log2)
//   [4..8) u32 LE vector length   [8..12) u32 LE CRC-32 of header bytes 0..8 followed by the body (bytes 12..end)
import { ProtocolError } from '../errors.ts';
import { crc32 } from '../../common/crc32.ts';

export const CODEC_MAGIC = 0x47;
export const CODEC_FORMAT_VERSION = 1;
export const CODEC_HEADER_BYTES = 12;
/** Longest vector a payload may announce (2^28 parameters = 1 GiB as fp32): bounds decode allocations. */
export const MAX_VECTOR_LENGTH = 1 << 28;

export interface CodecHeader {
  codecId: number;
  param: number;
  length: number;
}

/** Allocates a payload of `bodyBytes` after the header and writes the header fields (CRC comes at seal). */
export function allocPayload(codecId: number, param: number, length: number, bodyBytes: number): Uint8Array {
  const out = new Uint8Array(CODEC_HEADER_BYTES + bodyBytes);
  out[0] = CODEC_MAGIC;
  out[1] = codecId;
  out[2] = CODEC_FORMAT_VERSION;
  out[3] = param;
  new DataView(out.buffer).setUint32(4, length, true);
  return out;
}

/** Writes the body CRC once the body is filled in; returns the payload. */
export function sealPayload(payload: Uint8Array): Uint8Array {
  const crc = payloadCrc(payload);
  new DataView(payload.buffer, payload.byteOffset, payload.byteLength).setUint32(8, crc, true);
  return payload;
}

function payloadCrc(payload: Uint8Array): number {
  return crc32(payload.subarray(CODEC_HEADER_BYTES), crc32(payload.subarray(0, 8)));
}

/** Reads the header without checking the body (cheap: for routing and length checks). Never throws. */
export function readCodecHeader(payload: Uint8Array): ({ ok: true } & CodecHeader) | { ok: false; error: ProtocolError } {
  if (!(payload instanceof Uint8Array) || payload.byteLength < CODEC_HEADER_BYTES) {
    return { ok: false, error: new ProtocolError('BAD_CODEC', `codec payload shorter than its ${CODEC_HEADER_BYTES}-byte header`) };
  }
  if (payload[0] !== CODEC_MAGIC) return { ok: false, error: new ProtocolError('BAD_CODEC', 'not a gradient codec payload (bad magic)') };
  if (payload[2] !== CODEC_FORMAT_VERSION) {
    return { ok: false, error: new ProtocolError('BAD_VERSION', `codec payload format ${payload[2]}, expected ${CODEC_FORMAT_VERSION}`) };
  }
  const length = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(4, true);
  if (length > MAX_VECTOR_LENGTH) {
    return { ok: false, error: new ProtocolError('TOO_LARGE', `codec payload announces ${length} values (max ${MAX_VECTOR_LENGTH})`) };
  }
  return { ok: true, codecId: payload[1]!, param: payload[3]!, length };
}

/**
 * Checks header, codec id, CRC and the expected length; returns the header and the body. Throws ProtocolError.
 */
export function openPayload(payload: Uint8Array, codecId: number, expectedLength?: number): CodecHeader & { body: Uint8Array } {
  const h = readCodecHeader(payload);
  if (!h.ok) throw h.error;
  if (h.codecId !== codecId) throw new ProtocolError('BAD_CODEC', `payload has codec id ${h.codecId}, expected ${codecId}`);
  if (expectedLength !== undefined && h.length !== expectedLength) {
    throw new ProtocolError('LENGTH_MISMATCH', `payload has ${h.length} values, expected ${expectedLength}`);
  }
  const body = payload.subarray(CODEC_HEADER_BYTES);
  const crc = new DataView(payload.buffer, payload.byteOffset, payload.byteLength).getUint32(8, true);
  if (payloadCrc(payload) !== crc) throw new ProtocolError('CHECKSUM', 'codec payload fails its CRC-32');
  return { codecId: h.codecId, param: h.param, length: h.length, body };
}

/** Rejects NaN and ±Infinity with a clear error naming the first bad index. */
export function assertFinite(x: Float32Array, what = 'gradient'): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    // v - v is 0 for every finite v and NaN for NaN and ±Infinity: one subtraction per value.
    if (v - v !== 0) throw new ProtocolError('NON_FINITE', `${what}[${i}] is ${v}; only finite values can be encoded`);
  }
}
