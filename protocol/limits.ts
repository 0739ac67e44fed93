// Hard limits on what the wire accepts. Defaults fit the presets this project trains (a few million
// parameters: a full fp32 model state of 5M parameters is 20 MB); raise them together with the model size.
// Free-text lengths are not configurable: message-schemas.ts caps them in the schema (MAX_TEXT, shortText).

export interface ProtocolLimits {
  /** Largest encoded message accepted (a full fp32 model state or an fp32 gradient must fit). */
  maxMessageBytes: number;
  /** Partial (not yet reassembled) messages in flight per transport. */
  maxPartialMessages: number;
  /** Bytes held by all partial messages of one transport together. */
  maxReassemblyBytes: number;
  /** A partial message is dropped unless complete this long after its FIRST frame, plus the time its announced
   *  length takes at `partialMinBytesPerSec` (a trickle of frames does not extend it). */
  partialTimeoutMs: number;
  /** The slowest transfer rate a large message is allowed (bytes per second). */
  partialMinBytesPerSec: number;
  /** Examples in one assignment, summed over its batches. */
  maxExamplesPerAssignment: number;
  /** Batches in one assignment (local steps). */
  maxBatchesPerAssignment: number;
  /** Bytes in one training example. */
  maxExampleBytes: number;
  /** Encoded size of one WebRTC signal (SDP or ICE candidate). */
  maxSignalBytes: number;
  /** If set, full model states and result gradients must carry exactly this many parameters. */
  expectedParams?: number;
}

/** 1 MiB/s: a 20 MB model state gets 20 s on top of partialTimeoutMs. */
export const DEFAULT_PARTIAL_MIN_BYTES_PER_SEC = 1024 * 1024;

export const DEFAULT_LIMITS: Readonly<ProtocolLimits> = Object.freeze({
  maxMessageBytes: 128 * 1024 * 1024,
  maxPartialMessages: 8,
  maxReassemblyBytes: 256 * 1024 * 1024,
  partialTimeoutMs: 30 * 1000,
  partialMinBytesPerSec: DEFAULT_PARTIAL_MIN_BYTES_PER_SEC,
  maxExamplesPerAssignment: 4096,
  maxBatchesPerAssignment: 64,
  maxExampleBytes: 64 * 1024,
  maxSignalBytes: 16 * 1024,
});

export function resolveLimits(overrides?: Partial<ProtocolLimits>): ProtocolLimits {
  return overrides ? { ...DEFAULT_LIMITS, ...overrides } : DEFAULT_LIMITS;
}
