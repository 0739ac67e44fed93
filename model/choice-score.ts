// Log-likelihood of a continuation given a context, the score of one option in zero-shot multiple choice.
// Context and continuation are one byte stream, chunked by the model's own rule (bytes.ts), so the option's
// first bytes may share a chunk with the context's last ones, exactly as the model would have read the text;
// only the continuation's bytes are summed. The model is autoregressive over bytes (a chunk's end depends only
// on bytes already seen), so this is the true log-likelihood under the model.
import type { StlmModel } from './stlm.ts';
import { chunkEnds } from './bytes.ts';

/** One option to score: its continuation's bytes given the context's bytes. */
export interface ContinuationRequest {
  context: Uint8Array;
  /** Not empty. */
  continuation: Uint8Array;
}

export interface ContinuationScore {
  /** Summed log-likelihood (nats) of the continuation's bytes. */
  logLikelihood: number;
  /** Bytes of the continuation (for the per-byte normalisation). */
  bytes: number;
}

/** One example the model reads, and which of its bytes count for which request. */
interface Window {
  request: number;
  bytes: Uint8Array;
  /** Bytes [scoreFrom, bytes.length) of the window are continuation bytes not scored by an earlier window. */
  scoreFrom: number;
}

/**
 * The windows that score a request. Where context + continuation exceed the model's context, whole leading
 * chunks of the context are dropped (suffixes that start at a chunk boundary chunk the same); a continuation
 * longer than the context is scored in several windows, each with at least half a context of text before the
 * bytes it scores.
 */
export function continuationWindows(req: ContinuationRequest, chunkBytes: number, contextChunks: number, request = 0): Window[] {
  if (req.continuation.length === 0) throw new Error('continuation is empty: nothing to score');
  const stream = new Uint8Array(req.context.length + req.continuation.length);
  stream.set(req.context, 0);
  stream.set(req.continuation, req.context.length);
  const ends = chunkEnds(stream, chunkBytes);
  const start = (k: number) => (k === 0 ? 0 : ends[k - 1]);
  const n = ends.length;
  const T = contextChunks;
  const c = req.context.length;
  let s = ends.findIndex((e) => e > c); // the chunk holding the continuation's first byte
  const windows: Window[] = [];
  while (s < n) {
    const e = Math.min(n, Math.max(T, s + Math.ceil(T / 2)));
    const from = start(Math.max(0, e - T));
    windows.push({ request, bytes: stream.subarray(from, ends[e - 1]), scoreFrom: Math.max(c, start(s)) - from });
    s = e;
  }
  return windows;
}

/** Scores one batch of windows at a time; yields between batches. */
function* scoreGenerator(model: StlmModel, requests: ContinuationRequest[], batchSize: number): Generator<void, ContinuationScore[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`scoreContinuations: bad batch size ${batchSize}`);
  const { chunkBytes, contextChunks } = model.config;
  const windows = requests.flatMap((r, i) => continuationWindows(r, chunkBytes, contextChunks, i));
  const out: ContinuationScore[] = requests.map((r) => ({ logLikelihood: 0, bytes: r.continuation.length }));
  for (let i = 0; i < windows.length; i += batchSize) {
    const batch = windows.slice(i, i + batchSize);
    const logProbs = model.byteLogProbs(batch.map((w) => w.bytes));
    batch.forEach((w, k) => {
      let sum = 0;
      for (let j = w.scoreFrom; j < w.bytes.length; j++) sum += logProbs[k][j];
      out[w.request].logLikelihood += sum;
    });
    if (i + batchSize < windows.length) yield;
  }
  return out;
}

/** Summed log-likelihood of each request's continuation given its context, in request order. */
export function scoreContinuations(model: StlmModel, requests: ContinuationRequest[], batchSize = 16): ContinuationScore[] {
  const it = scoreGenerator(model, requests, batchSize);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
  }
}

/** The same, awaiting `pause()` between batches (a server lets its event loop run there). */
export async function scoreContinuationsWithPauses(
  model: StlmModel, requests: ContinuationRequest[], batchSize: number, pause: () => Promise<void>,
): Promise<ContinuationScore[]> {
  const it = scoreGenerator(model, requests, batchSize);
  for (;;) {
    const step = it.next();
    if (step.done) return step.value;
    await pause();
  }
}
