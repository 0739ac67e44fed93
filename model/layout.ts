// Which parameters an STLM has, their shapes and their init, in one fixed order (the flat layout).
import type { StlmConfig } from './config.ts';
import { BYTE_VOCAB } from './bytes.ts';
import { buildManifest, type ParamManifest } from './params.ts';
import { Prng } from './prng.ts';

export type InitKind = 'normal' | 'residual' | 'ones';
interface ParamSpec { name: string; shape: number[]; init: InitKind; component: string }

/** Name of the FFN weights used by core layer `l` (one shared set when cfg.shareFfn). */
export function ffnPrefix(cfg: StlmConfig, l: number): string {
  return cfg.shareFfn ? 'ffn.shared' : `core.${l}.ffn`;
}

function byteBlockSpecs(prefix: string, cfg: StlmConfig, component: string): ParamSpec[] {
  const { byteDim: d, byteHidden: h, chunkBytes: P } = cfg;
  const out: ParamSpec[] = [];
  for (let i = 0; i < cfg.byteLayers; i++) {
    out.push(
      { name: `${prefix}.${i}.mixNorm.gain`, shape: [d], init: 'ones', component },
      { name: `${prefix}.${i}.mix`, shape: cfg.byteMix === 'dense' ? [P * d, P * d] : [P, P], init: 'residual', component },
      { name: `${prefix}.${i}.mlpNorm.gain`, shape: [d], init: 'ones', component },
      { name: `${prefix}.${i}.mlp.w1`, shape: [d, h], init: 'normal', component },
      { name: `${prefix}.${i}.mlp.w2`, shape: [h, d], init: 'residual', component },
    );
  }
  return out;
}

export function paramSpecs(cfg: StlmConfig): ParamSpec[] {
  const { byteDim: dB, chunkBytes: P, dModel: D, ffnHidden: H, contextChunks: T } = cfg;
  const specs: ParamSpec[] = [
    // One matrix for both byte embedding (input) and byte output projection (head): weight tying.
    { name: 'byteEmbedding', shape: [BYTE_VOCAB, dB], init: 'normal', component: 'byteEmbedding' },
    { name: 'enc.pos', shape: [P, dB], init: 'normal', component: 'byteEncoder' },
    ...byteBlockSpecs('enc', cfg, 'byteEncoder'),
    { name: 'pool.w', shape: [P * dB, D], init: 'normal', component: 'byteEncoder' },
    { name: 'core.pos', shape: [T, D], init: 'normal', component: 'core' },
  ];
  const ffn = (prefix: string): ParamSpec[] => [
    { name: `${prefix}.w1`, shape: [D, H], init: 'normal', component: 'ffn' },
    { name: `${prefix}.w3`, shape: [D, H], init: 'normal', component: 'ffn' },
    { name: `${prefix}.w2`, shape: [H, D], init: 'residual', component: 'ffn' },
  ];
  if (cfg.shareFfn) specs.push(...ffn('ffn.shared'));
  for (let l = 0; l < cfg.coreLayers; l++) {
    specs.push(
      { name: `core.${l}.attnNorm.gain`, shape: [D], init: 'ones', component: 'core' },
      { name: `core.${l}.attn.wq`, shape: [D, D], init: 'normal', component: 'core' },
      { name: `core.${l}.attn.wk`, shape: [D, D], init: 'normal', component: 'core' },
      { name: `core.${l}.attn.wv`, shape: [D, D], init: 'normal', component: 'core' },
      { name: `core.${l}.attn.wo`, shape: [D, D], init: 'residual', component: 'core' },
      { name: `core.${l}.ffnNorm.gain`, shape: [D], init: 'ones', component: 'core' },
    );
    if (!cfg.shareFfn) specs.push(...ffn(`core.${l}.ffn`));
  }
  specs.push(
    { name: 'core.finalNorm.gain', shape: [D], init: 'ones', component: 'core' },
    { name: 'dec.proj', shape: [D, P * dB], init: 'normal', component: 'byteDecoder' },
    { name: 'dec.pos', shape: [P, dB], init: 'normal', component: 'byteDecoder' },
    ...byteBlockSpecs('dec', cfg, 'byteDecoder'),
    { name: 'dec.finalNorm.gain', shape: [dB], init: 'ones', component: 'byteDecoder' },
  );
  return specs;
}

export function modelManifest(cfg: StlmConfig): ParamManifest {
  return buildManifest(paramSpecs(cfg));
}

/**
 * Init std of the tied byte embedding. Larger than cfg.initStd because the decoder's only direct view of the
 * previous byte is this embedding, added to the chunk context: at 0.02 both presets sat for hundreds of steps
 * on the byte-frequency plateau (~4.2 bpb); at 0.1, tiny reached 3.7 bpb in 300 steps where 0.02 gave 4.18.
 */
export const BYTE_EMBEDDING_INIT_STD = 0.1;

/** Deterministic init from a seed: the same seed gives bit-identical weights on every platform. */
export function initWeights(cfg: StlmConfig, seed: number): Float32Array {
  const specs = paramSpecs(cfg);
  const manifest = buildManifest(specs);
  const last = manifest[manifest.length - 1];
  const weights = new Float32Array(last.offset + last.size);
  const rng = new Prng(seed);
  // Residual-branch outputs start smaller so the residual stream's variance does not grow with depth.
  const residualStd = cfg.initStd / Math.sqrt(2 * cfg.coreLayers);
  specs.forEach((s, i) => {
    const slice = weights.subarray(manifest[i].offset, manifest[i].offset + manifest[i].size);
    if (s.init === 'ones') slice.fill(1);
    else if (s.name === 'byteEmbedding') rng.fillNormal(slice, BYTE_EMBEDDING_INIT_STD);
    else rng.fillNormal(slice, s.init === 'residual' ? residualStd : cfg.initStd);
  });
  return weights;
}

export interface ParameterCounts {
  /** Parameters per component (the tied embedding counted once, the shared FFN once). */
  components: Record<string, number>;
  /** Stored parameters: the length of the flat array. */
  total: number;
  /** What the model would have without tying: a separate byte output head, and one FFN per core layer. */
  untied: number;
}

export function parameterCounts(cfg: StlmConfig): ParameterCounts {
  const components: Record<string, number> = {};
  let total = 0;
  for (const s of paramSpecs(cfg)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    components[s.component] = (components[s.component] ?? 0) + n;
    total += n;
  }
  const ffnOnce = 3 * cfg.dModel * cfg.ffnHidden;
  const untied = total + BYTE_VOCAB * cfg.byteDim + (cfg.shareFfn ? (cfg.coreLayers - 1) * ffnOnce : 0);
  return { components, total, untied };
}
