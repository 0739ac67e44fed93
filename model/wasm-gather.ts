// A faster GatherV2 for tfjs-wasm. Its own kernel walks every element through generic N-D index arithmetic:
// the byte embedding's lookup (2048 rows of 64 from a 258-row table) took 4.7 ms of a 184 ms small-preset
// step, where copying whole rows out of the wasm heap takes 0.85 ms (tf.profile and a microbenchmark on the
// development machine). Only the common case is taken over (float32 2-D x, int32 1-D rows, axis 0, no batch
// dims); everything else goes to the backend's own kernel. Browser-safe: no Node built-ins.
import * as tf from '@tensorflow/tfjs';

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
}

/** Copies rows `indices` of `x` [V, D]; an index out of [0, V) is an error, as in the backend's kernel. */
function gatherRowsOnHeap(backend: WasmHeapBackend, x: tf.TensorInfo, indices: tf.TensorInfo): tf.TensorInfo {
  const [rows, width] = x.shape as [number, number];
  const n = indices.shape[0]!;
  const out = backend.makeOutput([n, width], 'float32');
  // Views after makeOutput: allocating may grow the wasm memory and detach older views.
  const o = backend.typedArrayFromHeap(out) as Float32Array;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const ids = backend.typedArrayFromHeap(indices) as Int32Array;
  for (let i = 0; i < n; i++) {
    const r = ids[i]!;
    if (!(r >= 0 && r < rows)) throw new Error(`gather: index ${r} at position ${i} is outside [0, ${rows})`);
    o.set(src.subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

let installed = false;

/** Replaces the wasm backend's GatherV2 with one that copies rows in the common 2-D case. Idempotent. */
export function installWasmGather(): void {
  if (installed) return;
  const original = tf.getKernel('GatherV2', 'wasm');
  if (!original) return;
  installed = true;
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({
    kernelName: 'GatherV2',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
      const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
      const common = x.shape.length === 2 && x.dtype === 'float32' && indices.shape.length === 1 &&
        indices.dtype === 'int32' && (axis === 0 || axis === -2) && !batchDims;
      return common
        ? gatherRowsOnHeap(args.backend as unknown as WasmHeapBackend, x, indices)
        : original.kernelFunc(args);
    },
  });
}
