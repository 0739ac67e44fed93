// Bits per byte on held-out text: summed cross-entropy in bits over every scored byte.
import type { StlmModel } from './stlm.ts';

/** Scores one batch at a time; returns the running totals when done. */
function* scoreBatches(model: StlmModel, examples: Uint8Array[], batchSize: number): Generator<void, number> {
  if (examples.length === 0) throw new Error('bitsPerByte: no examples');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`bitsPerByte: bad batch size ${batchSize}`);
  let nats = 0;
  let bytes = 0;
  for (let i = 0; i < examples.length; i += batchSize) {
    const r = model.evaluate(examples.slice(i, i + batchSize));
    nats += r.lossSum;
    bytes += r.bytes;
    if (i + batchSize < examples.length) yield;
  }
  return nats / bytes / Math.LN2;
}

export function bitsPerByte(model: StlmModel, examples: Uint8Array[], batchSize = 8): number {
  const it = scoreBatches(model, examples, batchSize);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
  }
}

/** The same sum, awaiting `pause()` between batches (a server lets its event loop run there). */
export async function bitsPerByteWithPauses(
  model: StlmModel, examples: Uint8Array[], batchSize: number, pause: () => Promise<void>,
): Promise<number> {
  const it = scoreBatches(model, examples, batchSize);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
    await pause();
  }
}
