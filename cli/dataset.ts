// Corpus -> training and validation examples for the local CLI commands (train, eval). The validation set is
// the tail of the corpus, so `stlm train` and `stlm eval` agree on what is held out.
import { loadCorpus } from '../coordinator/corpus.ts';
import { splitIntoExamples, type StlmConfig } from '../model/index.ts';
import { Prng } from '../model/prng.ts';

export interface Dataset {
  name: string;
  train: Uint8Array[];
  val: Uint8Array[];
}

export async function loadDataset(source: string | undefined, cfg: StlmConfig, valFraction: number): Promise<Dataset> {
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`validation fraction must be in (0, 1), got ${valFraction}`);
  const corpus = await loadCorpus(source);
  const examples = splitIntoExamples(corpus.bytes, cfg);
  const nVal = Math.max(1, Math.round(examples.length * valFraction));
  if (examples.length - nVal < 1) throw new Error(`corpus ${corpus.name} is too small: ${examples.length} examples`);
  return { name: corpus.name, train: examples.slice(0, -nVal), val: examples.slice(-nVal) };
}

/** A deterministic shuffled order of 0..n-1 (Fisher-Yates with the model's PRNG). */
export function shuffledOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = new Prng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Parses a positive integer option or throws a clear error naming it. */
export function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export function positiveNumber(name: string, value: string, allowZero = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got "${value}"`);
  return n;
}

/** Wraps a command action: a failure prints one clear line and exits with status 1, not a stack trace. */
export function cliAction<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      console.error(`stlm: ${(e as Error).message}`);
      process.exitCode = 1;
    }
  };
}
