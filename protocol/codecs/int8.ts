// int8: blocks of 256 values share one float32 scale (the block's absolute maximum / 127); each value is
// round(x / scale) in [-127, 127]. About 1.02 bytes per parameter; the error per value is at most half a
// step, scale / 2, so blocks keep an outlier from flattening the whole vector.
//   body: [ceil(n / B) float32 LE scales][n int8 values]; header param = log2(B)
import type { GradientCodec } from './codec.ts';
import { CODEC_IDS } from './names.ts';
import { allocPayload, assertFinite, openPayload, sealPayload, CODEC_HEADER_BYTES } from './header.ts';
import { ProtocolError } from '../errors.ts';

export const INT8_DEFAULT_BLOCK_LOG2 = 8;

export function createInt8Codec(blockLog2 = INT8_DEFAULT_BLOCK_LOG2): GradientCodec {
  if (!Number.isInteger(blockLog2) || blockLog2 < 2 || blockLog2 > 16) throw new RangeError('int8 block size must be 2^2..2^16');
  const id = CODEC_IDS.int8;
  const block = 1 << blockLog2;
  const bodyBytes = (n: number) => Math.ceil(n / block) * 4 + n;
  return {
    id,
    name: 'int8',
    lossless: false,
    encode(x) {
      assertFinite(x);
      const n = x.length;
      const blocks = Math.ceil(n / block);
      const out = allocPayload(id, blockLog2, n, bodyBytes(n));
      const dv = new DataView(out.buffer);
      const q = new Int8Array(out.buffer, CODEC_HEADER_BYTES + blocks * 4, n);
      for (let b = 0; b < blocks; b++) {
        const start = b * block;
        const end = Math.min(n, start + block);
        let max = 0;
        for (let i = start; i < end; i++) {
          const a = Math.abs(x[i]!);
          if (a > max) max = a;
        }
        const scale = Math.fround(max / 127);
        dv.setFloat32(CODEC_HEADER_BYTES + b * 4, scale, true);
        if (scale === 0) continue; // all zeros (or subnormal dust): q stays 0
        const inv = 1 / scale;
        for (let i = start; i < end; i++) {
          const v = Math.round(x[i]! * inv);
          q[i] = v > 127 ? 127 : v < -127 ? -127 : v;
        }
      }
      return sealPayload(out);
    },
    decode(payload, expectedLength) {
      const { length: n, body, param } = openPayload(payload, id, expectedLength);
      if (param < 2 || param > 16) throw new ProtocolError('BAD_CODEC', `int8 block size 2^${param} is out of range`);
      const b = 1 << param;
      const blocks = Math.ceil(n / b);
      if (body.byteLength !== blocks * 4 + n) {
        throw new ProtocolError('LENGTH_MISMATCH', `int8 body has ${body.byteLength} bytes for ${n} values`);
      }
      const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const q = new Int8Array(body.buffer, body.byteOffset + blocks * 4, n);
      const out = new Float32Array(n);
      for (let k = 0; k < blocks; k++) {
        const scale = dv.getFloat32(k * 4, true);
        if (!Number.isFinite(scale) || scale < 0) throw new ProtocolError('NON_FINITE', `int8 block ${k} has scale ${scale}`);
        const end = Math.min(n, (k + 1) * b);
        for (let i = k * b; i < end; i++) out[i] = q[i]! * scale;
      }
      return out;
    },
    expectedBytesPerParam(n) {
      return n > 0 ? (CODEC_HEADER_BYTES + bodyBytes(n)) / n : CODEC_HEADER_BYTES;
    },
  };
}
