// Validation bits per byte without freezing the coordinator: the same sum as model/evaluate.ts's
// bitsPerByte, but the event loop gets a turn between batches, so peers' messages, joins and status requests
// are served while a `small` model scores its validation set (seconds on one core).
import type { StlmModel } from '../model/stlm.ts';

export async function validationBitsPerByte(model: StlmModel, examples: Uint8Array[], batchSize = 8): Promise<number> {
  if (examples.length === 0) throw new Error('validation: no examples');
  let nats = 0;
  let bytes = 0;
  for (let i = 0; i < examples.length; i += batchSize) {
    const r = model.evaluate(examples.slice(i, i + batchSize));
    nats += r.lossSum;
    bytes += r.bytes;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return nats / bytes / Math.LN2;
}
