// What the local CLI commands (train, eval) share: the corpus split as every part of the project splits it
// (data/split.ts: its last 1% held out), and option parsing with clear errors.
import { loadCorpus } from '../data/corpus.ts';
import { Dataset } from '../data/dataset.ts';
import type { StlmConfig } from '../model/index.ts';

export interface NamedDataset {
  name: string;
  dataset: Dataset;
}

/** The corpus `source` split and cut for `cfg`, batches served in the order of `seed`. */
export async function loadDataset(source: string | undefined, cfg: StlmConfig, seed: number): Promise<NamedDataset> {
  const corpus = await loadCorpus(source);
  return { name: corpus.name, dataset: Dataset.fromCorpus(corpus.bytes, cfg, { seed }) };
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
