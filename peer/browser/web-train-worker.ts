// Training workers of a tab as Web Workers, started from the peer worker (nested dedicated workers).
import type { FromTrainWorker, TrainWorkerPort } from '../core/train-worker-protocol.ts';

export function webTrainWorkerPort(url: string | URL): TrainWorkerPort {
  // Classic, as peer-worker.js: tfjs-wasm's emscripten code recognises a worker by importScripts.
  const worker = new Worker(url, { name: 'stlm-train-worker' });
  let exitCb: ((reason: string) => void) | undefined;
  // A Web Worker has no exit event: an uncaught error or a script that cannot load is taken as its death.
  worker.addEventListener('error', (ev: ErrorEvent) => {
    ev.preventDefault();
    exitCb?.(`crashed: ${ev.message || 'script error'}`);
  });
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (cb) => worker.addEventListener('message', (ev: MessageEvent<FromTrainWorker>) => cb(ev.data)),
    onExit: (cb) => (exitCb = cb),
    terminate: () => worker.terminate(),
  };
}
