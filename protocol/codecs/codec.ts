// The one interface every gradient codec implements. One file per codec; codecs/index.ts holds the registry.
import type { CodecName } from './names.ts';

export interface GradientCodec {
  /** The id written into every payload's header (codecs/names.ts). */
  readonly id: number;
  readonly name: CodecName;
  /** True when decode(encode(x)) === x bit for bit (error feedback then keeps no residual). */
  readonly lossless: boolean;
  /** Encodes a vector; throws ProtocolError('NON_FINITE') on NaN or ±Infinity. */
  encode(x: Float32Array): Uint8Array;
  /** Decodes a payload of this codec; throws ProtocolError on a corrupt, foreign or wrong-length payload. */
  decode(payload: Uint8Array, expectedLength?: number): Float32Array;
  /** Payload bytes per parameter for a vector of n parameters, header included. */
  expectedBytesPerParam(n: number): number;
}
