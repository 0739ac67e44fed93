// Seeded shuffles: the order in which training examples are served, the same on every platform.
import { Prng } from '../model/prng.ts';

/** A permutation of 0..n-1 (Fisher-Yates with the model's seeded PRNG). */
export function permutation(n: number, seed: number): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  const rng = new Prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Derives a 32-bit seed for one purpose (epoch k, say) from a run seed. */
export function mixSeed(seed: number, salt: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;
}
