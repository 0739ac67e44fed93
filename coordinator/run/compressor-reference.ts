// The validation chart's reference lines: gzip's and brotli's bits per byte on the validation examples'
// bytes, given training text first (data/compressors.ts, as bench:learning measures them). Computed once at
// start, in the background on libuv's thread pool, so neither the start nor the event loop waits for brotli.
import type { Logger } from 'pino';
import { compressorBpbAsync } from '../../data/compressors.ts';
import type { CompressorReference } from '../../protocol/status.ts';

/** The training text the compressors see first: its last 256 KiB. Brotli at quality 11 costs about 5 s of a
 * core per MiB here, which every coordinator start on a 2-core machine running peers would feel; 256 KiB takes
 * about 1 s. The price is a weaker brotli line: on nlp-corpus and the tiny preset's validation examples it
 * reads 2.55 bpb after 256 KiB against 2.22 after 1 MiB (gzip's 32 KiB window sees the same either way: 3.23).
 * The dashboard says how much text the compressors saw. */
export const REFERENCE_CONTEXT_BYTES = 256 * 1024;

export interface CompressorReferenceJob {
  /** The figures, or null while they are computed (or if that failed). */
  current(): CompressorReference | null;
  /** Settles when the computation has ended either way. */
  readonly done: Promise<void>;
}

export function startCompressorReference(trainText: Uint8Array, heldOut: Uint8Array[], logger: Logger): CompressorReferenceJob {
  let value: CompressorReference | null = null;
  const context = trainText.subarray(Math.max(0, trainText.length - REFERENCE_CONTEXT_BYTES));
  const heldOutBytes = concat(heldOut);
  const done = compressorBpbAsync(context, heldOutBytes).then(
    (bpb) => {
      value = { ...bpb, contextBytes: context.length, heldOutBytes: heldOutBytes.length };
      logger.info({ gzip: bpb.gzip, brotli: bpb.brotli }, 'compressor reference on the validation set');
    },
    (e: Error) => logger.warn({ err: e.message }, 'no compressor reference for the validation chart'),
  );
  return { current: () => value, done };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
