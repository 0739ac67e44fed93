// Public names of model/. Code inside model/ imports the files directly, never this barrel.
export { DEFAULT_CONFIG, DEFAULT_PRESET, PRESETS, PRESET_NAMES, isPresetName, resolveConfig, validateConfig } from './config.ts';
export type { PresetName, StlmConfig } from './config.ts';
export {
  BYTE_VOCAB, EOD, PAD, bytesToText, checkBatch, checkExample, chunkEnds, countChunks, isDelimiter,
  splitIntoExamples, textToBytes,
} from './bytes.ts';
export { buildManifest, checkManifest, decayMaskFromManifest, manifestSize, sameManifest } from './params.ts';
export type { ParamEntry, ParamManifest } from './params.ts';
export { StlmModel } from './stlm.ts';
export type { StlmModelOptions, TrainStepResult } from './stlm.ts';
export type { ParameterCounts } from './layout.ts';
export { AdamW, DEFAULT_ADAMW } from './adamw.ts';
export type { AdamWOptions, AdamWState } from './adamw.ts';
export { learningRate } from './schedule.ts';
export type { LrSchedule } from './schedule.ts';
export { setupBackend } from './backend.ts';
export type { BackendName } from './backend.ts';
export { WEIGHTS_FORMAT_VERSION, decodeWeightsFile, encodeWeightsFile } from './weights-file.ts';
export type { WeightsFile } from './weights-file.ts';
export { LocalTrainer } from './trainer.ts';
export type { LocalStepResult, LocalTrainerOptions } from './trainer.ts';
export { bitsPerByte } from './evaluate.ts';
export { generate } from './generate.ts';
export type { GenerateOptions } from './generate.ts';
export { FLOP_COUNTING_METHOD, denseStepShapes, forwardMatMuls, trainingFlops } from './flops.ts';
export { Prng } from './prng.ts';
