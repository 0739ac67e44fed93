import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.ts';
import {
  BYTE_VOCAB, EOD, PAD, checkBatch, chunkEnds, countChunks, splitIntoExamples, textToBytes, bytesToText,
} from './bytes.ts';
import { encodeBatch } from './batch.ts';

const cfg = resolveConfig('tiny'); // chunkBytes 6, contextChunks 16

describe('byte vocabulary and chunking', () => {
  it('has 256 bytes plus PAD and EOD', () => {
    expect([PAD, EOD, BYTE_VOCAB]).toEqual([256, 257, 258]);
  });

  it('ends a chunk after a delimiter or at P bytes', () => {
    const b = textToBytes('hi, extraordinary cat');
    const ends = chunkEnds(b, 6);
    const chunks = ends.map((e, i) => bytesToText(b.subarray(i ? ends[i - 1] : 0, e)));
    expect(chunks).toEqual(['hi,', ' ', 'extrao', 'rdinar', 'y ', 'cat']);
  });

  it('splits a stream into examples that fit the context, keep every byte in order, and are deterministic', () => {
    const text = 'The quick brown fox, jumping over the lazy dog; again and again.\n'.repeat(30);
    const stream = textToBytes(text);
    const a = splitIntoExamples(stream, cfg);
    const b = splitIntoExamples(stream, cfg);
    expect(a.length).toBeGreaterThan(5);
    expect(a.map((e) => Array.from(e))).toEqual(b.map((e) => Array.from(e)));
    let joined = '';
    for (const ex of a) {
      expect(countChunks(ex, cfg.chunkBytes)).toBeLessThanOrEqual(cfg.contextChunks);
      joined += bytesToText(ex);
    }
    expect(joined).toBe(text);
    // Every example but the last uses the whole context.
    expect(countChunks(a[0], cfg.chunkBytes)).toBe(cfg.contextChunks);
    expect(() => checkBatch(a, cfg)).not.toThrow();
  });

  it('splits an empty stream into no examples', () => {
    expect(splitIntoExamples(new Uint8Array(0), cfg)).toEqual([]);
  });
});

describe('bad input gets a clear error', () => {
  it('rejects an empty batch', () => {
    expect(() => checkBatch([], cfg)).toThrow(/batch is empty/);
  });
  it('rejects an empty example', () => {
    expect(() => checkBatch([new Uint8Array(0)], cfg)).toThrow(/example 0 is empty/);
  });
  it('rejects a sequence longer than the context', () => {
    const long = textToBytes('a '.repeat(cfg.contextChunks + 1));
    expect(() => checkBatch([textToBytes('ok'), long], cfg)).toThrow(/example 1 is longer than the context: 17 chunks/);
  });
  it('rejects bytes out of range and non-byte input', () => {
    expect(() => checkBatch([[104, 300]] as unknown as Uint8Array[], cfg)).toThrow(/byte 1 is 300, out of range 0..255/);
    expect(() => checkBatch([[-1]] as unknown as Uint8Array[], cfg)).toThrow(/out of range/);
    expect(() => checkBatch(['text'] as unknown as Uint8Array[], cfg)).toThrow(/expected a Uint8Array/);
    expect(() => checkBatch('x' as unknown as Uint8Array[], cfg)).toThrow(/batch must be an array/);
  });
});

describe('batch encoding', () => {
  it('scores every byte once and feeds the previous chunk and the shifted targets', () => {
    const ex = textToBytes('ab cd');
    const enc = encodeBatch([ex, textToBytes('x')], cfg);
    const P = cfg.chunkBytes;
    expect(enc.chunks).toBe(2);
    expect(enc.scoredBytes).toBe(6);
    // position 0: beginning chunk in, predicts "ab "
    expect(Array.from(enc.encoderIds.subarray(0, P))).toEqual([EOD, PAD, PAD, PAD, PAD, PAD]);
    expect(Array.from(enc.targets.subarray(0, 3))).toEqual([97, 98, 32]);
    expect(Array.from(enc.decoderIds.subarray(0, 4))).toEqual([PAD, 97, 98, 32]);
    expect(Array.from(enc.weights.subarray(0, P))).toEqual([1, 1, 1, 0, 0, 0]);
    // position 1: "ab " in, predicts "cd"
    expect(Array.from(enc.encoderIds.subarray(P, P + 4))).toEqual([97, 98, 32, PAD]);
    expect(Array.from(enc.targets.subarray(P, P + 2))).toEqual([99, 100]);
    // the second, shorter example's position 1 is not scored
    expect(Array.from(enc.weights.subarray(3 * P, 4 * P))).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('config', () => {
  it('rejects unknown presets and bad fields', async () => {
    expect(() => resolveConfig('huge')).toThrow(/unknown preset "huge"/);
    expect(() => resolveConfig('tiny', { heads: 5 })).toThrow(/must divide/);
    expect(() => resolveConfig('tiny', { dModel: 0 })).toThrow(/dModel must be an integer >= 1/);
    expect(() => resolveConfig('tiny', { bogus: 1 } as never)).toThrow(/unknown config field "bogus"/);
  });
});
