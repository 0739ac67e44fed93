import { describe, expect, it } from 'vitest';
import { Dataset, type DatasetCursor } from './dataset.ts';
import { loadCorpus } from './corpus.ts';
import { resolveConfig } from '../model/config.ts';

/** n distinct examples: example i holds the decimal digits of i, so an example names itself. */
function examples(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => new TextEncoder().encode(`ex${i}`));
}
const id = (e: Uint8Array) => new TextDecoder().decode(e);
/** n training examples and 3 held-out ones. */
function split(n: number) {
  return { train: examples(n), heldOut: [1, 2, 3].map((i) => new TextEncoder().encode(`held${i}`)) };
}

describe('Dataset', () => {
  it('serves the held-out examples it was given, in order, and never trains on them', () => {
    const all = examples(2_000);
    const a = new Dataset({ train: all.slice(0, 1_900), heldOut: all.slice(1_900) }, { seed: 3 });
    expect(a.validationExamples().map(id)).toEqual(all.slice(1_900).map(id));
    expect(a.validationExamples(7).map(id)).toEqual(a.validationExamples().slice(0, 7).map(id));
    expect(a.stats().trainExamples).toBe(1_900);
    const val = new Set(a.validationExamples().map(id));
    let leaked = 0;
    for (let i = 0; i < (2 * 1_900) / 50; i++) for (const e of a.nextBatch(50).examples) if (val.has(id(e))) leaked++;
    expect(leaked).toBe(0);
  });

  it('serves every training example exactly once per epoch, in a different seeded order each epoch', () => {
    const d = new Dataset(split(200), { seed: 9 });
    const n = d.trainCount;
    const epochs: string[][] = [[], []];
    let served = 0;
    while (served < 2 * n) {
      const b = d.nextBatch(7);
      for (const e of b.examples) {
        epochs[Math.floor(served / n)]?.push(id(e));
        served++;
      }
    }
    for (const ep of epochs) {
      expect(ep).toHaveLength(n);
      expect(new Set(ep).size).toBe(n);
    }
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(d.stats().epoch).toBe(2);
  });

  it('serves a requeued batch again, first, with the same id and examples; complete() forgets a batch', () => {
    const d = new Dataset(split(100), { seed: 1 });
    const b1 = d.nextBatch(4);
    const b2 = d.nextBatch(4);
    expect(b2.batchId).not.toBe(b1.batchId);
    expect(d.complete(b1.batchId)).toBe(true);
    expect(d.complete(b1.batchId)).toBe(false);
    expect(d.requeue(b1.batchId)).toBe(false); // already applied: never served again
    expect(d.requeue(b2.batchId)).toBe(true);
    expect(d.stats()).toMatchObject({ outstandingBatches: 0, requeuedBatches: 1 });
    const again = d.nextBatch(4);
    expect(again.batchId).toBe(b2.batchId);
    expect(again.examples.map(id)).toEqual(b2.examples.map(id));
    const fresh = d.nextBatch(4);
    expect(fresh.examples.some((e) => b2.examples.map(id).includes(id(e)))).toBe(false);
  });

  it('continues exactly after a restart: cursor is JSON-safe, outstanding batches come back first', () => {
    const ex = split(500);
    const a = new Dataset(ex, { seed: 5 });
    for (let i = 0; i < 30; i++) a.complete(a.nextBatch(8).batchId); // into the second epoch
    const lost = a.nextBatch(8); // out when the process died
    const requeued = a.nextBatch(8);
    a.requeue(requeued.batchId);
    const cursor: DatasetCursor = JSON.parse(JSON.stringify(a.exportCursor()));

    const b = new Dataset(ex, { seed: 5 });
    b.importCursor(cursor);
    expect(b.nextBatch(8).examples.map(id)).toEqual(requeued.examples.map(id));
    expect(b.nextBatch(8).examples.map(id)).toEqual(lost.examples.map(id));
    // Then fresh data continues exactly where `a` would have gone.
    a.requeue(lost.batchId);
    a.nextBatch(8);
    a.nextBatch(8);
    for (let i = 0; i < 40; i++) {
      const x = a.nextBatch(8);
      const y = b.nextBatch(8);
      expect(y.batchId).toBe(x.batchId);
      expect(y.epoch).toBe(x.epoch);
      expect(y.examples.map(id)).toEqual(x.examples.map(id));
    }
  });

  it('refuses a cursor from other data or another seed, and malformed ones', () => {
    const a = new Dataset(split(100), { seed: 1 });
    a.nextBatch(3);
    const cursor = a.exportCursor();
    expect(() => new Dataset(split(101), { seed: 1 }).importCursor(cursor)).toThrow(/other data/);
    expect(() => new Dataset(split(100), { seed: 2 }).importCursor(cursor)).toThrow(/seed 1/);
    const broken = { ...cursor, outstanding: [{ batchId: 1, epoch: 0, indices: [1e9] }] };
    expect(() => new Dataset(split(100), { seed: 1 }).importCursor(broken)).toThrow(/out of range/);
    expect(() => new Dataset(split(100), { seed: 1 }).importCursor({} as DatasetCursor)).toThrow(/not a dataset cursor/);
  });

  it('rejects bad input clearly', () => {
    expect(() => new Dataset({ train: [], heldOut: examples(1) }, { seed: 1 })).toThrow(/at least 1 training example/);
    expect(() => new Dataset({ train: examples(1), heldOut: [] }, { seed: 1 })).toThrow(/at least 1 held-out example/);
    expect(() => new Dataset({ train: [new Uint8Array(0)], heldOut: examples(1) }, { seed: 1 })).toThrow(/training example 0/);
    expect(() => new Dataset(split(10), { seed: -1 })).toThrow(/seed/);
    expect(() => new Dataset(split(10), { seed: 1 }).nextBatch(0)).toThrow(/batchSize/);
  });

  it('builds from the embedded corpus for a preset, holding out its tail', async () => {
    const corpus = await loadCorpus();
    const cfg = resolveConfig('tiny');
    const bytes = corpus.bytes.subarray(0, 200_000);
    const d = Dataset.fromCorpus(bytes, cfg, { seed: 1 });
    const s = d.stats();
    expect(s.trainBytes + s.validationBytes).toBe(200_000);
    expect(s.validationBytes).toBeGreaterThan(1_900);
    expect(s.validationBytes).toBeLessThan(2_500);
    const heldOut = Buffer.concat(d.validationExamples());
    expect(Buffer.compare(heldOut, bytes.subarray(bytes.length - heldOut.length))).toBe(0);
    expect(d.nextBatch(4).examples).toHaveLength(4);
  });
});
