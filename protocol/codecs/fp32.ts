// fp32: the identity codec, little-endian float32 values. The default, and the reference the lossy ones
// are measured against.
import type { GradientCodec } from './codec.ts';
import { CODEC_IDS } from './names.ts';
import { allocPayload, assertFinite, openPayload, sealPayload, CODEC_HEADER_BYTES } from './header.ts';
import { ProtocolError } from '../errors.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function createFp32Codec(): GradientCodec {
  const id = CODEC_IDS.fp32;
  return {
    id,
    name: 'fp32',
    lossless: true,
    encode(x) {
      assertFinite(x);
      const out = allocPayload(id, 0, x.length, x.length * 4);
      if (LITTLE_ENDIAN) {
        out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), CODEC_HEADER_BYTES);
      } else {
        const dv = new DataView(out.buffer);
        for (let i = 0; i < x.length; i++) dv.setFloat32(CODEC_HEADER_BYTES + i * 4, x[i]!, true);
      }
      return sealPayload(out);
    },
    decode(payload, expectedLength) {
      const { length, body } = openPayload(payload, id, expectedLength);
      if (body.byteLength !== length * 4) {
        throw new ProtocolError('LENGTH_MISMATCH', `fp32 body has ${body.byteLength} bytes for ${length} values`);
      }
      // Copy into a fresh, aligned buffer: the payload may sit at any offset of a larger message.
      const out = new Float32Array(length);
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(body);
      else {
        const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
        for (let i = 0; i < length; i++) out[i] = dv.getFloat32(i * 4, true);
      }
      assertFinite(out, 'decoded gradient');
      return out;
    },
    expectedBytesPerParam(n) {
      return n > 0 ? (CODEC_HEADER_BYTES + 4 * n) / n : CODEC_HEADER_BYTES;
    },
  };
}
