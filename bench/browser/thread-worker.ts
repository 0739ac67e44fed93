// A Web Worker of bench:browser-threads (a classic script, as the peer page's worker): tfjs-wasm with the
// thread count it is told, the real model, timed training steps on the batches it is given.
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';

export interface ThreadWorkerJob {
  preset: string;
  wasmPaths: string;
  threads: number;
  /** Batches as arrays of byte arrays; the first is a warm-up step. */
  batches: number[][][];
}
export interface ThreadWorkerResult {
  bytes: number;
  seconds: number;
  threads: number;
}

const scope = globalThis as unknown as {
  postMessage(m: ThreadWorkerResult | { error: string }): void;
  addEventListener(t: 'message', cb: (ev: MessageEvent<ThreadWorkerJob>) => void): void;
};

scope.addEventListener('message', async (ev) => {
  try {
    const job = ev.data;
    await setupBackend('wasm', { wasmPaths: job.wasmPaths, threads: job.threads });
    const model = StlmModel.create(resolveConfig(job.preset), 1);
    const [warm, ...timed] = job.batches.map((b) => b.map((ex) => Uint8Array.from(ex)));
    model.trainStep(warm!);
    let bytes = 0;
    const t0 = performance.now();
    for (const b of timed) bytes += model.trainStep(b).bytes;
    scope.postMessage({ bytes, seconds: (performance.now() - t0) / 1000, threads: job.threads });
    model.dispose();
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
