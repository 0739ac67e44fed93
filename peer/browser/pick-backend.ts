// Picks the fastest tfjs backend this device has that also computes correctly. GPU backends are tried
// first (webgpu, then webgl) but trusted only after they reproduce the wasm result of a small numeric
// probe: some drivers (and software GL) return wrong or low-precision numbers. Among the backends that
// pass, the fastest probe time wins, so a software-emulated WebGL does not beat SIMD wasm.
import * as tf from '@tensorflow/tfjs';
import { setupBackend, type BackendName } from '../../model/backend.ts';

export interface BackendChoice {
  name: string;
  /** Wasm threads in use (1 unless the page is cross-origin isolated). */
  threads: number;
  /** Per-candidate outcome, shown on the page so a person can see why a GPU was not used. */
  report: string[];
}

export interface PickOptions {
  /** Where the tfjs .wasm files are served (the coordinator serves them at /tfjs-wasm/). */
  wasmPaths: string;
  /** Force one backend (`?backend=wasm`), skipping the probe of the others. */
  force?: BackendName;
}

/** Relative tolerance of the GPU result against wasm: float16 textures would fail it. */
const TOLERANCE = 1e-3;
const PROBE_SIZE = 192;

/** A small matMul + softmax + reduction chain, deterministic inputs; returns [result, milliseconds]. */
async function probe(): Promise<{ values: Float32Array; ms: number }> {
  const make = () =>
    tf.tidy(() => {
      const a = tf.sin(tf.range(0, PROBE_SIZE * PROBE_SIZE).reshape([PROBE_SIZE, PROBE_SIZE]).mul(0.37));
      const b = tf.cos(tf.range(0, PROBE_SIZE * PROBE_SIZE).reshape([PROBE_SIZE, PROBE_SIZE]).mul(0.11));
      const h = tf.matMul(a, b).div(Math.sqrt(PROBE_SIZE));
      return tf.softmax(tf.matMul(tf.tanh(h), a)).sum(1);
    });
  // The first run compiles shaders / warms caches; time the second.
  const warm = make();
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  const out = make();
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return { values, ms: performance.now() - t0 };
}

function maxRelativeError(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i]! - b[i]!) / Math.max(1e-6, Math.abs(a[i]!));
    if (!(err <= worst)) worst = err; // NaN counts as the worst error
  }
  return worst;
}

export async function pickBackend(opts: PickOptions): Promise<BackendChoice> {
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = isolated ? Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8)) : 1;
  const report: string[] = [];
  const wasm = await setupBackend('wasm', { wasmPaths: opts.wasmPaths, threads });
  const reference = await probe();
  report.push(`wasm: ${reference.ms.toFixed(1)} ms (${threads} thread${threads > 1 ? 's' : ''}${isolated ? '' : ', page not cross-origin isolated'})`);
  if (opts.force === 'wasm') return { name: wasm, threads, report };

  const candidates: BackendName[] = opts.force ? [opts.force] : ['webgpu', 'webgl'];
  let best = { name: wasm, ms: reference.ms };
  for (const name of candidates) {
    if (name === 'webgpu' && !('gpu' in navigator)) {
      report.push('webgpu: not offered by this browser');
      continue;
    }
    try {
      await setupBackend(name);
      const r = await probe();
      const err = maxRelativeError(reference.values, r.values);
      if (!(err <= TOLERANCE)) {
        report.push(`${name}: rejected, differs from wasm by ${err.toExponential(1)}`);
        continue;
      }
      report.push(`${name}: ${r.ms.toFixed(1)} ms, matches wasm (${err.toExponential(1)})`);
      if (r.ms < best.ms || opts.force === name) best = { name, ms: r.ms };
    } catch (e) {
      report.push(`${name}: unavailable (${(e as Error).message})`);
    }
  }
  // Every candidate is initialised by now: switching back needs no setup (and wasm paths are fixed at init).
  if (!(await tf.setBackend(best.name))) throw new Error(`tfjs backend "${best.name}" failed to re-initialise`);
  await tf.ready();
  const name = tf.getBackend();
  return { name, threads: name === 'wasm' ? threads : 1, report };
}
