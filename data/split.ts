// The one held-out split of a corpus, used by `stlm train`, `stlm eval`, the coordinator and the benches.
// It is a cut of the byte stream, not of examples: the held-out bytes are the same for every model config
// (chunk size and context only change how those bytes are cut into examples), so bits per byte of any two
// presets, of the CLI and of a swarm run are comparable. Browser-safe: no Node built-ins.
import { splitIntoExamples } from '../model/bytes.ts';
import type { StlmConfig } from '../model/config.ts';

/** The default share of the corpus held out: its last 1%. */
export const HELD_OUT_FRACTION = 0.01;

const NEWLINE = 0x0a;

export interface CorpusSplit {
  /** Everything before the cut. */
  train: Uint8Array;
  /** The tail: starts right after a newline (a document or sentence start) where the tail has one. */
  heldOut: Uint8Array;
}

/**
 * Splits `bytes` at (1 - fraction) of its length, moved forward to just after the next newline so that the
 * held-out text starts at a line start. Both parts are views of `bytes`, never empty.
 */
export function splitCorpus(bytes: Uint8Array, fraction: number = HELD_OUT_FRACTION): CorpusSplit {
  if (!(fraction > 0 && fraction < 0.5)) throw new Error(`held-out fraction must be in (0, 0.5), got ${fraction}`);
  if (bytes.length < 2) throw new Error(`the corpus is too small to split: ${bytes.length} bytes`);
  const nominal = Math.min(bytes.length - 1, Math.max(1, Math.floor(bytes.length * (1 - fraction))));
  const newline = bytes.indexOf(NEWLINE, nominal - 1);
  const cut = newline >= 0 && newline + 1 < bytes.length ? newline + 1 : nominal;
  return { train: bytes.subarray(0, cut), heldOut: bytes.subarray(cut) };
}

export interface SplitExamples {
  train: Uint8Array[];
  heldOut: Uint8Array[];
}

/** Both parts of the split cut into examples for `cfg` (every byte lands in exactly one example). */
export function splitExamples(bytes: Uint8Array, cfg: StlmConfig, fraction: number = HELD_OUT_FRACTION): SplitExamples {
  const { train, heldOut } = splitCorpus(bytes, fraction);
  return { train: splitIntoExamples(train, cfg), heldOut: splitIntoExamples(heldOut, cfg) };
}
