// Bits per byte on held-out text: summed cross-entropy in bits over every scored byte.
import type { StlmModel } from './stlm.ts';

export function bitsPerByte(model: StlmModel, examples: Uint8Array[], batchSize = 8): number {
  if (examples.length === 0) throw new Error('bitsPerByte: no examples');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`bitsPerByte: bad batch size ${batchSize}`);
  let nats = 0;
  let bytes = 0;
  for (let i = 0; i < examples.length; i += batchSize) {
    const r = model.evaluate(examples.slice(i, i + batchSize));
    nats += r.lossSum;
    bytes += r.bytes;
  }
  return nats / bytes / Math.LN2;
}
