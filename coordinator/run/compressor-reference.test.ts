import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { compressorBpb } from '../../data/compressors.ts';
import { REFERENCE_CONTEXT_BYTES, startCompressorReference } from './compressor-reference.ts';

const text = (n: number, seed: number) => {
  // English-like text with repetition a compressor can find.
  const words = ['the ', 'swarm ', 'trains ', 'a ', 'small ', 'model ', 'of ', 'bytes ', 'together ', '. '];
  let x = seed;
  const out: string[] = [];
  while (out.join('').length < n) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.push(words[x % words.length]!);
  }
  return new TextEncoder().encode(out.join('').slice(0, n));
};

describe('compressor reference', () => {
  it('gives the synchronous figures of the held-out examples, off the event loop', async () => {
    const train = text(20_000, 1);
    const heldOut = [text(600, 2), text(900, 3)];
    const job = startCompressorReference(train, heldOut, pino({ level: 'silent' }));
    expect(job.current()).toBeNull(); // computed in the background: not there synchronously
    await job.done;
    const joined = new Uint8Array([...heldOut[0]!, ...heldOut[1]!]);
    const expected = compressorBpb(train, joined);
    expect(job.current()).toEqual({ ...expected, contextBytes: 20_000, heldOutBytes: 1500 });
    // The repetitive text compresses well below 8 bits per byte, brotli (large window) at least as well as gzip here.
    expect(expected.gzip).toBeLessThan(4);
    expect(expected.brotli).toBeLessThan(expected.gzip + 0.5);
  });

  it('sees only the last REFERENCE_CONTEXT_BYTES of a long training text', async () => {
    const train = new Uint8Array(REFERENCE_CONTEXT_BYTES + 5000).fill(0x61);
    const job = startCompressorReference(train, [text(300, 4)], pino({ level: 'silent' }));
    await job.done;
    expect(job.current()!.contextBytes).toBe(REFERENCE_CONTEXT_BYTES);
  });

  it('stays null and says why when it cannot compute', async () => {
    const job = startCompressorReference(text(100, 5), [], pino({ level: 'silent' }));
    await job.done;
    expect(job.current()).toBeNull();
  });
});
