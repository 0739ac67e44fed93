// fp16: every value as IEEE binary16, little-endian. Half the bytes of fp32, relative error per value
// at most 2^-11 within the fp16 range (values below 2^-14 lose relative precision as subnormals).
import type { GradientCodec } from './codec.ts';
import { CODEC_IDS } from './names.ts';
import { allocPayload, assertFinite, openPayload, sealPayload, CODEC_HEADER_BYTES } from './header.ts';
import { halfTable, toHalf } from './half.ts';
import { ProtocolError } from '../errors.ts';

export function createFp16Codec(): GradientCodec {
  const id = CODEC_IDS.fp16;
  return {
    id,
    name: 'fp16',
    lossless: false,
    encode(x) {
      assertFinite(x);
      const out = allocPayload(id, 0, x.length, x.length * 2);
      for (let i = 0, o = CODEC_HEADER_BYTES; i < x.length; i++, o += 2) {
        const h = toHalf(x[i]!);
        out[o] = h & 0xff;
        out[o + 1] = h >>> 8;
      }
      return sealPayload(out);
    },
    decode(payload, expectedLength) {
      const { length, body } = openPayload(payload, id, expectedLength);
      if (body.byteLength !== length * 2) {
        throw new ProtocolError('LENGTH_MISMATCH', `fp16 body has ${body.byteLength} bytes for ${length} values`);
      }
      const table = halfTable();
      const out = new Float32Array(length);
      for (let i = 0, o = 0; i < length; i++, o += 2) {
        const h = body[o]! | (body[o + 1]! << 8);
        if ((h & 0x7c00) === 0x7c00) throw new ProtocolError('NON_FINITE', `decoded gradient[${i}] is not finite`);
        out[i] = table[h]!;
      }
      return out;
    },
    expectedBytesPerParam(n) {
      return n > 0 ? (CODEC_HEADER_BYTES + 2 * n) / n : CODEC_HEADER_BYTES;
    },
  };
}
