// top-k: keeps the k = ceil(fraction * n) values of largest magnitude, as ascending u32 indices and fp16
// values; everything else is sent as zero (error feedback carries it to later rounds). At the default
// fraction of 1% that is 0.06 bytes per parameter.
//   body: [u32 LE k][k u32 LE indices, strictly ascending][k fp16 LE values]; header param unused (0)
import type { GradientCodec } from './codec.ts';
import { CODEC_IDS } from './names.ts';
import { allocPayload, assertFinite, openPayload, sealPayload, CODEC_HEADER_BYTES } from './header.ts';
import { halfTable, toHalf } from './half.ts';
import { ProtocolError } from '../errors.ts';

export const TOPK_DEFAULT_FRACTION = 0.01;

export function createTopKCodec(fraction = TOPK_DEFAULT_FRACTION): GradientCodec {
  if (!(fraction > 0 && fraction <= 1)) throw new RangeError('top-k fraction must be in (0, 1]');
  const id = CODEC_IDS.topk;
  const kFor = (n: number) => (n === 0 ? 0 : Math.min(n, Math.max(1, Math.ceil(fraction * n))));
  return {
    id,
    name: 'topk',
    lossless: false,
    encode(x) {
      assertFinite(x);
      const n = x.length;
      const k = kFor(n);
      const out = allocPayload(id, 0, n, 4 + k * 6);
      const dv = new DataView(out.buffer);
      dv.setUint32(CODEC_HEADER_BYTES, k, true);
      if (k > 0) {
        const indices = selectTopK(x, k);
        const idxAt = CODEC_HEADER_BYTES + 4;
        const valAt = idxAt + k * 4;
        for (let j = 0; j < k; j++) {
          const i = indices[j]!;
          dv.setUint32(idxAt + j * 4, i, true);
          dv.setUint16(valAt + j * 2, toHalf(x[i]!), true);
        }
      }
      return sealPayload(out);
    },
    decode(payload, expectedLength) {
      const { length: n, body } = openPayload(payload, id, expectedLength);
      if (body.byteLength < 4) throw new ProtocolError('LENGTH_MISMATCH', 'top-k body lacks its count');
      const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
      const k = dv.getUint32(0, true);
      if (k > n) throw new ProtocolError('BAD_CODEC', `top-k keeps ${k} of ${n} values`);
      if (body.byteLength !== 4 + k * 6) throw new ProtocolError('LENGTH_MISMATCH', `top-k body has ${body.byteLength} bytes for k=${k}`);
      const table = halfTable();
      const out = new Float32Array(n);
      let prev = -1;
      for (let j = 0; j < k; j++) {
        const i = dv.getUint32(4 + j * 4, true);
        if (i <= prev || i >= n) throw new ProtocolError('BAD_CODEC', `top-k index ${i} out of order or range`);
        prev = i;
        const h = dv.getUint16(4 + k * 4 + j * 2, true);
        if ((h & 0x7c00) === 0x7c00) throw new ProtocolError('NON_FINITE', `decoded gradient[${i}] is not finite`);
        out[i] = table[h]!;
      }
      return out;
    },
    expectedBytesPerParam(n) {
      return n > 0 ? (CODEC_HEADER_BYTES + 4 + kFor(n) * 6) / n : CODEC_HEADER_BYTES + 4;
    },
  };
}

/** Indices of the k largest |x|, ascending. O(n) on average: quickselect the k-th magnitude, then one scan. */
export function selectTopK(x: Float32Array, k: number): Uint32Array {
  const n = x.length;
  const out = new Uint32Array(k);
  if (k === 0) return out;
  if (k >= n) {
    for (let i = 0; i < n; i++) out[i] = i;
    return out;
  }
  const mags = new Float32Array(n);
  for (let i = 0; i < n; i++) mags[i] = Math.abs(x[i]!);
  const threshold = kthLargest(mags, k);
  // Strictly above the threshold first, then ties in index order until k are taken.
  let above = 0;
  for (let i = 0; i < n; i++) if (Math.abs(x[i]!) > threshold) above++;
  let ties = k - above;
  let j = 0;
  for (let i = 0; i < n && j < k; i++) {
    const a = Math.abs(x[i]!);
    if (a > threshold) out[j++] = i;
    else if (a === threshold && ties > 0) {
      out[j++] = i;
      ties--;
    }
  }
  return out;
}

/** The k-th largest value of `a` (1-based); reorders `a`. Hoare-style quickselect with median-of-three. */
function kthLargest(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const p = median3(a[lo]!, a[mid]!, a[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > p) i++;
      while (a[j]! < p) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

function median3(a: number, b: number, c: number): number {
  return a > b ? (b > c ? b : a > c ? c : a) : a > c ? a : b > c ? c : b;
}
