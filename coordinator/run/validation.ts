// Validation bits per byte without freezing the coordinator: model/evaluate.ts's sum, with the event loop
// getting a turn between batches, so peers' messages, joins and status requests are served while a `small`
// model scores its validation set (seconds on one core).
import type { StlmModel } from '../../model/stlm.ts';
import { bitsPerByteWithPauses } from '../../model/evaluate.ts';

export function validationBitsPerByte(model: StlmModel, examples: Uint8Array[], batchSize = 8): Promise<number> {
  return bitsPerByteWithPauses(model, examples, batchSize, () => new Promise<void>((resolve) => setImmediate(resolve)));
}
