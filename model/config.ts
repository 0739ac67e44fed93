// The one STLM config: every dimension of the model, with documented defaults and named presets.
// Sizes are chosen so that `small` trains on one consumer CPU core with tfjs-wasm (under two seconds a step
// at 8 examples x 64 chunks) and `tiny` trains in a unit test in seconds.

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

/** The defaults are the `small` preset. */
export const DEFAULT_CONFIG: StlmConfig = {
  chunkBytes: 8,
  contextChunks: 64,
  byteDim: 64,
  byteHidden: 256,
  byteLayers: 1,
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
  /** The default: about 4.6M parameters (9.9M without tying), trains on a consumer CPU with tfjs-wasm. */
  small: { ...DEFAULT_CONFIG },
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
} as const satisfies Record<string, StlmConfig>;

export type PresetName = keyof typeof PRESETS;

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
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw new Error(`config.${k} must be a positive integer, got ${String(v)}`);
    }
  }
  if (cfg.chunkBytes < 2) throw new Error(`config.chunkBytes must be at least 2, got ${cfg.chunkBytes}`);
  if (cfg.dModel % cfg.heads !== 0) {
    throw new Error(`config.heads (${cfg.heads}) must divide config.dModel (${cfg.dModel})`);
  }
  if (typeof cfg.shareFfn !== 'boolean') throw new Error('config.shareFfn must be a boolean');
  for (const k of ['initStd', 'normEps'] as const) {
    if (typeof cfg[k] !== 'number' || !(cfg[k] > 0) || !Number.isFinite(cfg[k])) {
      throw new Error(`config.${k} must be a positive number, got ${String(cfg[k])}`);
    }
  }
  return cfg;
}

/** A preset by name, with overrides on top, validated. Unknown preset names and unknown fields are errors. */
export function resolveConfig(preset: string = 'small', overrides: Partial<StlmConfig> = {}): StlmConfig {
  if (!isPresetName(preset)) {
    throw new Error(`unknown preset "${preset}" (known: ${PRESET_NAMES.join(', ')})`);
  }
  for (const k of Object.keys(overrides)) {
    if (!(k in DEFAULT_CONFIG)) throw new Error(`unknown config field "${k}"`);
  }
  return validateConfig({ ...PRESETS[preset], ...overrides });
}
