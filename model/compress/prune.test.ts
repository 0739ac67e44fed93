import { describe, expect, it } from 'vitest';
import { buildMasks, magnitudeMask, maskSparsity, nmMask } from './prune.ts';
import { manifestPolicy, tensorPolicy } from './policy.ts';
import { resolveConfig } from '../config.ts';
import { initWeights, modelManifest } from '../layout.ts';
import { Prng } from '../prng.ts';

const cfg = resolveConfig('tiny');
const manifest = modelManifest(cfg);
const weights = initWeights(cfg, 11);

describe('magnitude pruning', () => {
  it('hits the requested sparsity exactly per tensor and keeps the largest magnitudes', () => {
    for (const s of [0.25, 0.5, 0.75, 0.9]) {
      const masks = buildMasks(weights, manifestPolicy(manifest), { sparsity: s });
      expect(masks.size).toBeGreaterThan(5);
      for (const e of manifest) {
        const keep = masks.get(e.name);
        if (!keep) continue;
        expect(keep.reduce((a, b) => a + (b ? 0 : 1), 0)).toBe(Math.round(s * e.size));
        const w = weights.subarray(e.offset, e.offset + e.size);
        let maxPruned = 0;
        let minKept = Infinity;
        for (let i = 0; i < e.size; i++) {
          if (keep[i]) minKept = Math.min(minKept, Math.abs(w[i]));
          else maxPruned = Math.max(maxPruned, Math.abs(w[i]));
        }
        expect(maxPruned).toBeLessThanOrEqual(minKept);
      }
    }
  });

  it('never prunes norm gains, position embeddings, small tensors, or the tied embedding unless asked', () => {
    const names = [...buildMasks(weights, manifestPolicy(manifest), { sparsity: 0.5 }).keys()];
    expect(names).toContain('core.0.attn.wo');
    expect(names).toContain('pool.w');
    expect(names).toContain('ffn.shared.w2');
    expect(names.some((n) => n.endsWith('.gain') || n.endsWith('.pos') || n.endsWith('.mix'))).toBe(false);
    expect(names).not.toContain('byteEmbedding');
    const withEmb = buildMasks(weights, manifestPolicy(manifest, { pruneEmbedding: true }), { sparsity: 0.5 });
    expect(withEmb.has('byteEmbedding')).toBe(true);
    expect(tensorPolicy({ name: 'x.bias', shape: [64, 64], offset: 0, size: 4096 }).prunable).toBe(false);
  });

  it('global scope hits the sparsity exactly over all prunable weights, not per tensor', () => {
    const masks = buildMasks(weights, manifestPolicy(manifest), { sparsity: 0.5, scope: 'global' });
    let pruned = 0;
    let total = 0;
    const per = new Set<number>();
    for (const keep of masks.values()) {
      total += keep.length;
      pruned += keep.length * maskSparsity(keep);
      per.add(Math.round(maskSparsity(keep) * 100));
    }
    expect(Math.round(pruned)).toBe(Math.round(0.5 * total));
    expect(per.size).toBeGreaterThan(1); // residual matrices start smaller, so they lose more
  });

  it('a prior mask stays pruned when sparsity grows', () => {
    const w = new Float32Array(100);
    new Prng(5).fillNormal(w, 1);
    const prior = magnitudeMask(w, 0.3);
    const big = w.slice();
    for (let i = 0; i < 100; i++) if (!prior[i]) big[i] = 50; // pruned weights that grew large again
    const next = magnitudeMask(big, 0.5, prior);
    for (let i = 0; i < 100; i++) if (!prior[i]) expect(next[i]).toBe(0);
    expect(maskSparsity(next)).toBe(0.5);
  });

  it('breaks ties by index, so the count is exact even when magnitudes are equal', () => {
    const w = new Float32Array([1, -1, 1, -1, 0.5, 1, -1, 1]);
    expect(Array.from(magnitudeMask(w, 0.5))).toEqual([0, 0, 0, 1, 0, 1, 1, 1]);
    expect(Array.from(magnitudeMask(w, 0))).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('rejects bad sparsity', () => {
    expect(() => magnitudeMask(new Float32Array(4), 1)).toThrow(/sparsity/);
    expect(() => magnitudeMask(new Float32Array(4), -0.1)).toThrow(/sparsity/);
    expect(() => buildMasks(weights, manifestPolicy(manifest), { sparsity: '1:4' as never })).toThrow(/2:4/);
  });
});

describe('2:4 structured pruning', () => {
  it('keeps exactly the 2 largest of every 4 consecutive inputs of each output channel', () => {
    const [rows, cols] = [16, 6];
    const w = new Float32Array(rows * cols);
    new Prng(9).fillNormal(w, 1);
    const keep = nmMask(w, [rows, cols], 1);
    expect(maskSparsity(keep)).toBe(0.5);
    for (let c = 0; c < cols; c++) {
      for (let g = 0; g < rows; g += 4) {
        const idx = [0, 1, 2, 3].map((k) => (g + k) * cols + c);
        const kept = idx.filter((i) => keep[i]);
        expect(kept.length).toBe(2);
        const minKept = Math.min(...kept.map((i) => Math.abs(w[i])));
        const maxDropped = Math.max(...idx.filter((i) => !keep[i]).map((i) => Math.abs(w[i])));
        expect(maxDropped).toBeLessThanOrEqual(minKept);
      }
    }
  });

  it('applies to every prunable matrix of the model', () => {
    const masks = buildMasks(weights, manifestPolicy(manifest), { sparsity: '2:4' });
    for (const keep of masks.values()) expect(maskSparsity(keep)).toBe(0.5);
  });
});
