// The one STLM config: every dimension of the model, with documented defaults and named presets.
// Sizes: `small` (the default) is what reaches the lowest held-out bpb in 10 minutes on one consumer CPU core
// with tfjs-wasm (bench:learning); `tiny` trains in a unit test in seconds.

export interface StlmConfig {
  /** Bytes per chunk (P). A chunk ends after a delimiter byte (space, newline, punctuation) or at P bytes. */
  chunkBytes: number;
  /** Chunks per example (T): the context length of the core transformer, in chunks. */
  contextChunks: number;
  /** Width of a byte vector (the byte embedding, which is also the byte output projection). */
  byteDim: number;
  /** Hidden width of the per-byte MLP inside the byte encoder and decoder blocks. */
  byteHidden: number;
  /** Byte blocks in the encoder (before pooling) and, separately, in the decoder (after the core). */
  byteLayers: number;
  /**
   * How a byte block mixes the slots of a chunk. 'slots': one P x P matrix shared by all byte channels (cheap,
   * but a slot sees the bytes before it only as a position-weighted sum). 'dense': a full [P*dB, P*dB]
   * matrix over the flattened chunk (causal by slot in the decoder), so each slot reads every earlier byte
   * through its own weights: a small MLP language model over the chunk's prefix.
   */
  byteMix: 'slots' | 'dense';
  /** Width of a chunk vector in the core transformer. */
  dModel: number;
  /** Causal transformer layers over chunk vectors. */
  coreLayers: number;
  /** Attention heads in each core layer; must divide dModel. */
  heads: number;
  /** Hidden width of the core SwiGLU feed-forward network. */
  ffnHidden: number;
  /** One FFN shared by all core layers (MobiLlama-style sharing, as in the STLM paper). On by default. */
  shareFfn: boolean;
  /** Standard deviation of the normal init of weight matrices and position embeddings (the byte embedding
   * has its own, BYTE_EMBEDDING_INIT_STD in layout.ts). */
  initStd: number;
  /** Epsilon inside RMSNorm. */
  normEps: number;
}

/** The base every preset starts from (each preset names its own dimensions). */
export const DEFAULT_CONFIG: StlmConfig = {
  chunkBytes: 8,
  contextChunks: 64,
  byteDim: 64,
  byteHidden: 256,
  byteLayers: 1,
  byteMix: 'slots',
  dModel: 384,
  coreLayers: 4,
  heads: 6,
  // The FFN is stored once and shared by every core layer, so it can afford 4x width; wide dense layers are
  // also what tfjs-wasm runs fastest (plain matMul at ~30 GFLOP/s vs ~2 for attention's batched matMul).
  ffnHidden: 1536,
  shareFfn: true,
  initStd: 0.02,
  normEps: 1e-5,
};

export const PRESETS = {
  /** For tests and demos: about 0.1M parameters, a training step takes milliseconds. */
  tiny: {
    ...DEFAULT_CONFIG,
    chunkBytes: 6,
    contextChunks: 16,
    byteDim: 32,
    byteHidden: 64,
    byteLayers: 1,
    dModel: 64,
    coreLayers: 2,
    heads: 4,
    ffnHidden: 128,
  },
  /**
   * The default: about 1.0M parameters, sized by bench:learning for the lowest held-out bpb after 10 minutes
   * on one CPU core (tfjs-wasm). At that budget a fast, shallow core wins over a deep or wide one (2 layers
   * beat 4, width 128 beat 192, in 5-minute runs), and the dense byte mix is what makes the byte decoder good.
   * The old 4.6M `small` (d 384, 4 layers, 64 chunks) reached 4.11 bpb in 10 minutes.
   */
  small: {
    ...DEFAULT_CONFIG,
    chunkBytes: 8,
    contextChunks: 32,
    byteDim: 64,
    byteHidden: 128,
    byteLayers: 1,
    byteMix: 'dense',
    dModel: 128,
    coreLayers: 2,
    heads: 4,
    ffnHidden: 512,
  },
  /** The paper's baseline dimensions (d 512, 8 layers, 16 heads, SwiGLU 1320, 12-byte chunks, context 512),
   * for GPU browsers (webgl / webgpu). */
  'stlm-50m': {
    ...DEFAULT_CONFIG,
    chunkBytes: 12,
    contextChunks: 512,
    byteDim: 128,
    byteHidden: 512,
    byteLayers: 2,
    dModel: 512,
    coreLayers: 8,
    heads: 16,
    ffnHidden: 1320,
  },
  /**
   * The reference for bench:learning, not an STLM: one byte per chunk and no byte blocks make the same code a
   * plain byte-level GPT at nanoGPT's small-CPU dimensions (4 layers, 4 heads, width 128, 64 bytes of
   * context, an unshared 4x FFN). It isolates what chunking and the byte encoder/decoder buy.
   */
  'byte-gpt': {
    ...DEFAULT_CONFIG,
    chunkBytes: 1,
    contextChunks: 64,
    byteDim: 128,
    byteHidden: 1,
    byteLayers: 0,
    dModel: 128,
    coreLayers: 4,
    heads: 4,
    // SwiGLU with 2/3 of nanoGPT's 512 hidden units has the same parameters and FLOPs as its GELU MLP.
    ffnHidden: 341,
    shareFfn: false,
  },
} as const satisfies Record<string, StlmConfig>;

export type PresetName = keyof typeof PRESETS;

/** What `npm start`, `stlm coordinator` and `stlm train` train unless told otherwise: the preset that reaches
 * the lowest held-out bpb in 10 minutes on one CPU core (bench:learning). */
export const DEFAULT_PRESET: PresetName = 'small';

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

/** Checks every field; throws a clear error naming the bad field. */
export function validateConfig(cfg: StlmConfig): StlmConfig {
  const ints: Array<keyof StlmConfig> = [
    'chunkBytes', 'contextChunks', 'byteDim', 'byteHidden', 'byteLayers', 'dModel', 'coreLayers', 'heads',
    'ffnHidden',
  ];
  for (const k of ints) {
    const v = cfg[k];
    // byteLayers may be 0: no byte blocks (with chunkBytes 1 the model is then a plain byte-level GPT).
    const min = k === 'byteLayers' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new Error(`config.${k} must be an integer >= ${min}, got ${String(v)}`);
    }
  }
  if (cfg.dModel % cfg.heads !== 0) {
    throw new Error(`config.heads (${cfg.heads}) must divide config.dModel (${cfg.dModel})`);
  }
  if (typeof cfg.shareFfn !== 'boolean') throw new Error('config.shareFfn must be a boolean');
  if (cfg.byteMix !== 'slots' && cfg.byteMix !== 'dense') {
    throw new Error(`config.byteMix must be "slots" or "dense", got ${String(cfg.byteMix)}`);
  }
  for (const k of ['initStd', 'normEps'] as const) {
    if (typeof cfg[k] !== 'number' || !(cfg[k] > 0) || !Number.isFinite(cfg[k])) {
      throw new Error(`config.${k} must be a positive number, got ${String(cfg[k])}`);
    }
  }
  return cfg;
}

/**
 * A config read from a file (weights, consolidated model, checkpoint), validated. Fields added after the file
 * may have been written get the value files of that time implied (byteMix: 'slots').
 */
export function configFromFile(raw: unknown): StlmConfig {
  if (typeof raw !== 'object' || raw === null) throw new Error('the file has no model config');
  return validateConfig({ byteMix: 'slots', ...(raw as Partial<StlmConfig>) } as StlmConfig);
}

/** A preset by name, with overrides on top, validated. Unknown preset names and unknown fields are errors. */
export function resolveConfig(preset: string = DEFAULT_PRESET, overrides: Partial<StlmConfig> = {}): StlmConfig {
  if (!isPresetName(preset)) {
    throw new Error(`unknown preset "${preset}" (known: ${PRESET_NAMES.join(', ')})`);
  }
  for (const k of Object.keys(overrides)) {
    if (!(k in DEFAULT_CONFIG)) throw new Error(`unknown config field "${k}"`);
  }
  return validateConfig({ ...PRESETS[preset], ...overrides });
}
