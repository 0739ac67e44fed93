// Public names of model/compress/. Code inside model/ imports the files directly, never this barrel.
export { consolidate, loadConsolidated } from './consolidate.ts';
export type { ConsolidateOptions, ConsolidateReport, LoadedConsolidated, QuantMode } from './consolidate.ts';
export { CONSOLIDATED_FORMAT_VERSION, CONSOLIDATED_MAGIC, decodeConsolidated, encodeConsolidated } from './format.ts';
export type { Codec, ConsolidatedFile, SparseLayout, TensorPayload, TensorRecord } from './format.ts';
export { MIN_COMPRESS_SIZE, TIED_EMBEDDING, manifestPolicy, tensorPolicy } from './policy.ts';
export type { PolicyOptions, TensorPolicy } from './policy.ts';
export { buildMasks, checkSparsity, magnitudeMask, maskSparsity, nmMask } from './prune.ts';
export type { PruneScope, SparsityTarget } from './prune.ts';
export { dequantizeInt8, quantizeInt8 } from './quantize.ts';
export type { QuantizedTensor } from './quantize.ts';
export { MaskSet } from './mask.ts';
export type { MaskSetState } from './mask.ts';
export { DEFAULT_PRUNE_SPAN, PruneSchedule, gradualSparsity, parsePruneSchedule } from './schedule.ts';
export type { PruneScheduleOptions, PruneScheduleSpec, PruneScheduleState } from './schedule.ts';
