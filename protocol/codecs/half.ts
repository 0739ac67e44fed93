// float32 <-> IEEE 754 binary16 conversion (round to nearest even), shared by the fp16 and top-k codecs.
// Values beyond the fp16 range are clamped to ±65504 instead of becoming Infinity: with error feedback the
// clipped remainder is sent in later rounds rather than poisoning the average.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export const FP16_MAX = 65504;

export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return mant ? sign | 0x7e00 : sign | 0x7bff; // NaN stays NaN; ±Inf clamps to ±max
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff; // overflow: clamp to ±65504
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    // Subnormal: shift the mantissa (with its implicit 1) right, rounding to nearest even.
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let h = m >>> shift;
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // may carry into the exponent: that is correct rounding
  if ((h & 0x7fff) >= 0x7c00) return sign | 0x7bff;
  return h;
}

/** Precomputed fp16 → fp32 for all 65,536 codes: decoding is one table lookup per value. */
const HALF_TO_FLOAT: Float32Array = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) t[h] = sign * mant * 2 ** -24;
    else if (exp === 0x1f) t[h] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else t[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return t;
})();

export function fromHalf(h: number): number {
  return HALF_TO_FLOAT[h & 0xffff]!;
}

export function halfTable(): Float32Array {
  return HALF_TO_FLOAT;
}
