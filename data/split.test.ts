import { describe, expect, it } from 'vitest';
import { splitCorpus, splitExamples } from './split.ts';
import { resolveConfig } from '../model/config.ts';
import { textToBytes } from '../model/bytes.ts';
import { loadCorpus } from './corpus.ts';

describe('splitCorpus', () => {
  it('holds out the tail from the first line start at or after 99% of the bytes', () => {
    const lines = Array.from({ length: 1_000 }, (_, i) => `line ${i} of the corpus`).join('\n');
    const bytes = textToBytes(lines);
    const { train, heldOut } = splitCorpus(bytes);
    expect(train.length + heldOut.length).toBe(bytes.length);
    expect(train.length).toBeGreaterThanOrEqual(Math.floor(bytes.length * 0.99));
    expect(train[train.length - 1]).toBe(0x0a);
    expect(new TextDecoder().decode(heldOut)).toMatch(/^line \d+ of the corpus\n/);
  });

  it('cuts at the nominal byte when the tail has no newline, and refuses bad input', () => {
    const bytes = new Uint8Array(1_000).fill(65);
    expect(splitCorpus(bytes).heldOut.length).toBe(10);
    expect(splitCorpus(bytes, 0.1).heldOut.length).toBe(100);
    expect(() => splitCorpus(new Uint8Array(1))).toThrow(/too small/);
    expect(() => splitCorpus(bytes, 0.6)).toThrow(/fraction/);
  });

  it('holds out the same bytes for every preset: only their cut into examples differs', async () => {
    const bytes = (await loadCorpus()).bytes.subarray(0, 300_000);
    const joined = (p: string) => Buffer.concat(splitExamples(bytes, resolveConfig(p)).heldOut);
    const tiny = joined('tiny');
    expect(tiny.length).toBeGreaterThan(2_000);
    expect(Buffer.compare(tiny, joined('small'))).toBe(0);
    expect(Buffer.compare(tiny, Buffer.from(splitCorpus(bytes).heldOut))).toBe(0);
  });
});
