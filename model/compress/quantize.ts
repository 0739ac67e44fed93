// Symmetric int8 quantization per output channel with fp32 scales: w ~= q * scale, q in [-127, 127].
// Symmetric (no zero point) keeps a pruned weight exactly 0 after dequantization; per channel because
// output channels of one matrix differ in range by an order of magnitude, and one scale for all would
// spend most of the 8 bits on the widest channel. -128 is never used so the range is symmetric.
import { channelOf } from './policy.ts';

export const INT8_MAX = 127;

export interface QuantizedTensor {
  /** One value per element, row-major like the source. */
  q: Int8Array;
  /** One per output channel: max |w| of the channel / 127 (0 for an all-zero channel). */
  scales: Float32Array;
}

function dims(shape: number[], length: number): [number, number] {
  if (shape.length !== 2) throw new Error(`int8 quantization needs a 2-D tensor, got shape [${shape.join(', ')}]`);
  if (shape[0] * shape[1] !== length) throw new Error(`int8 quantization: shape [${shape.join(', ')}] does not match ${length} values`);
  return [shape[0], shape[1]];
}

export function quantizeInt8(values: Float32Array, shape: number[], channelAxis: 0 | 1): QuantizedTensor {
  const [rows, cols] = dims(shape, values.length);
  const scales = new Float32Array(channelAxis === 1 ? cols : rows);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) throw new Error(`int8 quantization: value ${i} is ${v}`);
    const c = channelOf(i, cols, channelAxis);
    const a = Math.abs(v);
    if (a > scales[c]) scales[c] = a;
  }
  for (let c = 0; c < scales.length; c++) scales[c] = scales[c] / INT8_MAX;
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const s = scales[channelOf(i, cols, channelAxis)];
    if (s === 0) continue;
    q[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(values[i] / s)));
  }
  return { q, scales };
}

export function dequantizeInt8(t: QuantizedTensor, shape: number[], channelAxis: 0 | 1): Float32Array {
  const [, cols] = dims(shape, t.q.length);
  const out = new Float32Array(t.q.length);
  for (let i = 0; i < out.length; i++) out[i] = t.q[i] * t.scales[channelOf(i, cols, channelAxis)];
  return out;
}
