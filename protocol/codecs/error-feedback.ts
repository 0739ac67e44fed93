// Error feedback for lossy codecs: the sender keeps what the codec dropped (the residual) and adds it to the
// next vector before encoding, so nothing is lost for good, only delayed (the standard EF-SGD scheme).
import type { GradientCodec } from './codec.ts';
import { ProtocolError } from '../errors.ts';

export class ErrorFeedback {
  readonly residual: Float32Array;

  constructor(
    readonly codec: GradientCodec,
    readonly size: number,
  ) {
    this.residual = new Float32Array(size);
  }

  /** Encodes grad + residual and keeps the new residual. A NaN/Inf input throws and leaves the residual as it was. */
  encode(grad: Float32Array): Uint8Array {
    if (grad.length !== this.size) {
      throw new ProtocolError('LENGTH_MISMATCH', `error feedback holds ${this.size} values, got ${grad.length}`);
    }
    if (this.codec.lossless) return this.codec.encode(grad);
    const corrected = new Float32Array(this.size);
    for (let i = 0; i < this.size; i++) corrected[i] = grad[i]! + this.residual[i]!;
    const payload = this.codec.encode(corrected);
    const sent = this.codec.decode(payload, this.size);
    for (let i = 0; i < this.size; i++) this.residual[i] = corrected[i]! - sent[i]!;
    return payload;
  }
}
