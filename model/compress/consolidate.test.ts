import { describe, expect, it } from 'vitest';
import { consolidate, loadConsolidated } from './consolidate.ts';
import { manifestPolicy } from './policy.ts';
import { PruneSchedule } from './schedule.ts';
import { resolveConfig } from '../config.ts';
import { initWeights, modelManifest } from '../layout.ts';

describe('consolidate + loadConsolidated', () => {
  for (const preset of ['tiny', 'small']) {
    it(`${preset}: 50% sparsity + int8 is at most 20% of the fp32 size (the sparsity is stored)`, () => {
      const cfg = resolveConfig(preset);
      const manifest = modelManifest(cfg);
      const w = initWeights(cfg, 1);
      const int8 = consolidate(w, manifest, cfg, { sparsity: 0, quant: 'int8' });
      const r = consolidate(w, manifest, cfg, { sparsity: 0.5, quant: 'int8' });
      expect(r.report.sizeBytes).toBe(r.file.length);
      expect(r.report.denseFp32Bytes).toBe(w.length * 4);
      expect(r.report.sizeRatio).toBeLessThanOrEqual(0.2);
      // int8 alone is about 25%: the pruned half must be saved on top of that.
      expect(int8.report.sizeRatio).toBeGreaterThan(0.24);
      expect(r.file.length).toBeLessThan(int8.file.length * 0.75);
    });
  }

  it('loads back dense weights: pruned exactly 0, the rest within the int8 step, untouched tensors exact', () => {
    const cfg = resolveConfig('tiny');
    const manifest = modelManifest(cfg);
    const w = initWeights(cfg, 2);
    const { file, report } = consolidate(w, manifest, cfg, { sparsity: 0.5, quant: 'int8' });
    const back = loadConsolidated(file);
    expect(back.config).toEqual(cfg);
    expect(back.weights.length).toBe(w.length);
    for (const p of manifestPolicy(manifest)) {
      const { name, offset, size } = p.entry;
      const a = w.subarray(offset, offset + size);
      const b = back.weights.subarray(offset, offset + size);
      if (p.prunable) {
        expect(report.sparsityPerTensor[name]).toBe(0.5);
        expect(b.filter((x) => x === 0).length).toBeGreaterThanOrEqual(Math.round(size / 2));
      }
      if (!p.quantizable) {
        expect(Array.from(b)).toEqual(Array.from(a));
        continue;
      }
      const max = a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let i = 0; i < size; i++) if (b[i] !== 0) expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(max / 127 / 2 + 1e-7);
    }
    expect(report.overallSparsity).toBeGreaterThan(0.3);
    expect(report.overallSparsity).toBeLessThan(0.5);
  });

  it('sparsity 0 + fp32 is lossless', () => {
    const cfg = resolveConfig('tiny');
    const manifest = modelManifest(cfg);
    const w = initWeights(cfg, 3);
    const back = loadConsolidated(consolidate(w, manifest, cfg, { sparsity: 0, quant: 'fp32' }).file);
    expect(back.weights).toEqual(w);
  });

  it('2:4 + fp32 keeps the kept weights exact', () => {
    const cfg = resolveConfig('tiny');
    const manifest = modelManifest(cfg);
    const w = initWeights(cfg, 4);
    const { file, report } = consolidate(w, manifest, cfg, { sparsity: '2:4', quant: 'fp32' });
    const back = loadConsolidated(file);
    for (const s of Object.values(report.sparsityPerTensor)) expect(s).toBe(0.5);
    for (let i = 0; i < w.length; i++) if (back.weights[i] !== 0) expect(back.weights[i]).toBe(w[i]);
  });

  it('prunes exactly the masks it is given (a gradual schedule\'s), and refuses masks on protected tensors', () => {
    const cfg = resolveConfig('tiny');
    const manifest = modelManifest(cfg);
    const w = initWeights(cfg, 6);
    const sched = new PruneSchedule({ target: 0.6, span: 3 });
    const masks = sched.advance(w, manifest);
    const { file, report } = consolidate(w, manifest, cfg, { sparsity: sched.currentSparsity, quant: 'int8', masks: masks.toMap() });
    expect(report.sparsityPerTensor).toEqual(masks.sparsityPerTensor());
    const back = loadConsolidated(file).weights;
    for (const e of manifest) {
      const keep = masks.get(e.name);
      if (keep) for (let i = 0; i < e.size; i++) expect(back[e.offset + i] === 0).toBe(keep[i] === 0 || w[e.offset + i] === 0);
    }
    const bad = new Map([['core.0.attnNorm.gain', new Uint8Array(cfg.dModel)]]);
    expect(() => consolidate(w, manifest, cfg, { sparsity: 0.5, quant: 'int8', masks: bad })).toThrow(/must not be pruned/);
  });

  it('refuses bad options and mismatched weights', () => {
    const cfg = resolveConfig('tiny');
    const manifest = modelManifest(cfg);
    const w = initWeights(cfg, 5);
    expect(() => consolidate(w.subarray(1), manifest, cfg, { sparsity: 0.5, quant: 'int8' })).toThrow(/expected/);
    expect(() => consolidate(w, manifest, cfg, { sparsity: 1.5, quant: 'int8' })).toThrow(/sparsity/);
    expect(() => consolidate(w, manifest, cfg, { sparsity: 0.5, quant: 'int4' as never })).toThrow(/quant/);
  });
});
