// Byte vocabulary and the chunking rule. No learned vocabulary: a chunk is a run of bytes that ends right
// after a delimiter byte (ASCII whitespace or punctuation) or when it reaches P = cfg.chunkBytes bytes.
// The rule is greedy and stateless, so chunking any suffix that starts at a chunk boundary gives the same
// chunks again, and a generator knows where a chunk ends from the bytes it has produced.
import type { StlmConfig } from './config.ts';

/** Fills the unused slots of a chunk; also the decoder's start-of-chunk input. Never scored. */
export const PAD = 256;
/** End of document; the model's "beginning" chunk before the first chunk of an example. */
export const EOD = 257;
/** 256 byte values plus PAD and EOD. */
export const BYTE_VOCAB = 258;

const DELIMITER = new Uint8Array(256);
for (const ch of ' \n\t\r\f\v!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~') DELIMITER[ch.charCodeAt(0)] = 1;

/** True when a chunk closes right after this byte. */
export function isDelimiter(byte: number): boolean {
  return DELIMITER[byte] === 1;
}

/** Chunk end offsets (exclusive) of `bytes` under the chunking rule. */
export function chunkEnds(bytes: Uint8Array, chunkBytes: number): number[] {
  const ends: number[] = [];
  let len = 0;
  for (let i = 0; i < bytes.length; i++) {
    len++;
    if (len === chunkBytes || DELIMITER[bytes[i]] === 1) {
      ends.push(i + 1);
      len = 0;
    }
  }
  if (len > 0) ends.push(bytes.length);
  return ends;
}

/** Number of chunks the rule makes of `bytes`. */
export function countChunks(bytes: Uint8Array, chunkBytes: number): number {
  return chunkEnds(bytes, chunkBytes).length;
}

/**
 * Checks that `example` can be a training example for `cfg`: a Uint8Array (or an array of integer byte
 * values 0..255), not empty, at most cfg.contextChunks chunks. Returns it as a Uint8Array.
 * Throws an error that names the example's index and what is wrong.
 */
export function checkExample(example: unknown, cfg: StlmConfig, index = 0): Uint8Array {
  let bytes: Uint8Array;
  if (example instanceof Uint8Array) {
    bytes = example;
  } else if (Array.isArray(example)) {
    for (let i = 0; i < example.length; i++) {
      const v = example[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
        throw new Error(`example ${index}: byte ${i} is ${String(v)}, out of range 0..255`);
      }
    }
    bytes = Uint8Array.from(example as number[]);
  } else {
    throw new Error(`example ${index}: expected a Uint8Array of bytes, got ${describe(example)}`);
  }
  if (bytes.length === 0) throw new Error(`example ${index} is empty`);
  const chunks = countChunks(bytes, cfg.chunkBytes);
  if (chunks > cfg.contextChunks) {
    throw new Error(
      `example ${index} is longer than the context: ${chunks} chunks (${bytes.length} bytes), ` +
        `the model takes at most ${cfg.contextChunks} chunks; cut it with splitIntoExamples`,
    );
  }
  return bytes;
}

/** Checks a whole batch (see checkExample); an empty batch is an error. */
export function checkBatch(batch: unknown, cfg: StlmConfig): Uint8Array[] {
  if (!Array.isArray(batch)) throw new Error(`batch must be an array of Uint8Array, got ${describe(batch)}`);
  if (batch.length === 0) throw new Error('batch is empty: give at least one example');
  return batch.map((ex, i) => checkExample(ex, cfg, i));
}

/**
 * Cuts a corpus byte stream into consecutive examples of at most cfg.contextChunks chunks each (the last
 * may be shorter). Deterministic; every byte of the stream lands in exactly one example, in order.
 */
export function splitIntoExamples(stream: Uint8Array, cfg: StlmConfig): Uint8Array[] {
  if (!(stream instanceof Uint8Array)) throw new Error(`stream must be a Uint8Array, got ${describe(stream)}`);
  const ends = chunkEnds(stream, cfg.chunkBytes);
  const examples: Uint8Array[] = [];
  let start = 0;
  for (let c = cfg.contextChunks - 1; start < stream.length; c += cfg.contextChunks) {
    const end = ends[Math.min(c, ends.length - 1)];
    examples.push(stream.subarray(start, end));
    start = end;
  }
  return examples;
}

const utf8 = new TextEncoder();
/** UTF-8 bytes of a string. */
export function textToBytes(text: string): Uint8Array {
  return utf8.encode(text);
}

/** Text of UTF-8 bytes (invalid sequences become U+FFFD). */
export function bytesToText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}
