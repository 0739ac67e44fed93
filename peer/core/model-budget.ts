// How big a model a peer agrees to train. The coordinator's welcome names the model config; a peer builds it
// before the first model state arrives, so a config far beyond what the peer can hold would exhaust its
// memory (or a wasm heap, at most 4 GiB). The peer refuses such a config with ERR_MODEL_TOO_LARGE, a
// permanent refusal: the platform says what it can hold (Node: from its memory; a tab: navigator.deviceMemory).
import { validateConfig, type StlmConfig } from '../../model/config.ts';
import { parameterCounts } from '../../model/layout.ts';

/** fp32 copies of the parameters a training peer holds at once: the model's weights and gradients, the
 * weights of the version it holds, an arriving model state and its decoded copy, the codec's error feedback,
 * the encoded result, and the inner AdamW's two moments in local-steps mode. Activations come on top. */
export const PARAM_COPIES = 9;
export const BYTES_PER_PARAM = 4 * PARAM_COPIES;
/** tfjs-wasm keeps tensors in one wasm32 heap: nothing larger can train there, whatever the machine has. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

export type ModelFit = { ok: true; config: StlmConfig; numParams: number; bytes: number } | { ok: false; message: string };

/** What a peer with `memoryBytes` to spare may give a model: half of it, and never more than a wasm heap. */
export function modelBudgetBytes(memoryBytes: number): number {
  return Math.min(WASM_HEAP_BYTES, Math.floor(memoryBytes / 2));
}

/** Whether the welcome's config is a valid model this peer can hold within `maxBytes`. */
export function checkModelFits(config: unknown, maxBytes: number): ModelFit {
  let cfg: StlmConfig;
  let numParams: number;
  try {
    cfg = validateConfig(config as StlmConfig);
    numParams = parameterCounts(cfg).total;
  } catch (e) {
    return { ok: false, message: `the coordinator's model config is not valid: ${(e as Error).message}` };
  }
  const bytes = numParams * BYTES_PER_PARAM;
  if (!Number.isSafeInteger(numParams) || bytes > maxBytes) {
    return {
      ok: false,
      message: `the coordinator's model has ${numParams} parameters, about ${mib(bytes)} MiB to train; this peer can give it ${mib(maxBytes)} MiB`,
    };
  }
  return { ok: true, config: cfg, numParams, bytes };
}

function mib(bytes: number): number {
  return Math.ceil(bytes / 1024 ** 2);
}
