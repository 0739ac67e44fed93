// Picks and initialises the tfjs backend. Browser-safe: no Node built-ins. In Node the default is wasm
// (tfjs-node needs a download); the browser page passes `wasmPaths` (where the .wasm files are served).
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installWasmGather } from './wasm-gather.ts';

export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu';
const BACKENDS: BackendName[] = ['wasm', 'cpu', 'webgl', 'webgpu'];

/** Sets the tfjs backend; resolves to the backend actually in use. Throws a clear error if it fails. */
export async function setupBackend(
  name: BackendName = 'wasm',
  opts: { wasmPaths?: string; threads?: number } = {},
): Promise<string> {
  if (!BACKENDS.includes(name)) throw new Error(`unknown backend "${String(name)}" (known: ${BACKENDS.join(', ')})`);
  if (name === 'wasm') {
    if (opts.wasmPaths) setWasmPaths(opts.wasmPaths);
    if (opts.threads !== undefined) setThreadsCount(opts.threads);
  }
  if (name === 'webgpu' && !tf.findBackendFactory('webgpu')) {
    // Loaded on demand: only GPU browsers need it.
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
  if (tf.getBackend() === 'wasm') installWasmGather();
  return tf.getBackend();
}
