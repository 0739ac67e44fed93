// Data-channel limits sized to the run's model instead of the fixed defaults (128 MiB a message, 256 MiB of
// reassembly per peer): what one side can make the other hold is a small multiple of what the run needs.
//  - The coordinator receives results (a gradient in the run's codec) and small control messages.
//  - A peer receives model states (the full fp32 weights, or a delta no larger) and assignments (examples
//    that fit the model's context).
// Reassembly holds at most two messages of the largest kind: the one arriving and the start of the next.
import { codecByName } from './codecs/index.ts';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.ts';
import type { ModelConfigJson } from './message-schemas.ts';
import { configFromFile } from '../model/config.ts';
import { modelManifest } from '../model/layout.ts';
import { manifestSize } from '../model/params.ts';

/** msgpack field names and headers, the batch ids of a result, the small fields of every message. */
export const MESSAGE_OVERHEAD_BYTES = 64 * 1024;
/** No limit below this: control messages and small test models never come near it. */
export const MIN_MESSAGE_BYTES = 1024 * 1024;
/** Per example in an assignment: its msgpack bin header (and a batch's share of the array headers). */
const EXAMPLE_OVERHEAD_BYTES = 16;

/** The largest payload `codec` produces for a vector of `numParams` values, header included. */
export function codecPayloadBytes(numParams: number, codec: string): number {
  const c = codecByName(codec);
  return Math.ceil(c.expectedBytesPerParam(numParams) * Math.max(1, numParams));
}

function sized(largest: number, numParams: number): Partial<ProtocolLimits> {
  const maxMessageBytes = Math.max(MIN_MESSAGE_BYTES, largest + MESSAGE_OVERHEAD_BYTES);
  return { maxMessageBytes, maxReassemblyBytes: 2 * maxMessageBytes, expectedParams: numParams };
}

/** What a coordinator accepts from one peer: results in the run's `codec` for `numParams` parameters. */
export function coordinatorLimits(numParams: number, codec: string): Partial<ProtocolLimits> {
  return sized(codecPayloadBytes(numParams, codec), numParams);
}

export interface PeerLimitsInput {
  numParams: number;
  /** The longest training example the model takes (its context in bytes: contextChunks x chunkBytes). */
  exampleBytes: number;
}

/** What a peer accepts from its coordinator: full fp32 model states and assignments of context-sized examples. */
export function peerLimits({ numParams, exampleBytes }: PeerLimitsInput): Partial<ProtocolLimits> {
  const assignmentBytes = DEFAULT_LIMITS.maxExamplesPerAssignment * (exampleBytes + EXAMPLE_OVERHEAD_BYTES);
  return { ...sized(Math.max(4 * numParams, assignmentBytes), numParams), maxExampleBytes: exampleBytes };
}

/** A peer's limits for the welcome's model config (the peer computes the parameter count itself). Throws on an
 *  invalid config. */
export function peerLimitsForConfig(config: ModelConfigJson): Partial<ProtocolLimits> {
  const cfg = configFromFile(config);
  return peerLimits({ numParams: manifestSize(modelManifest(cfg)), exampleBytes: cfg.contextChunks * cfg.chunkBytes });
}

/** A receiver whose channel drains nothing for this long is too slow (a slow link still drains a little).
 *  Shorter than WebRTC's own give-up on a peer that stopped answering (about 15 s measured with
 *  @roamhq/wrtc), so such a peer is dropped as too slow, counted, and told so. */
export const DEFAULT_SEND_STALL_MS = 8_000;

/**
 * What may wait for one peer: the model state being sent, the latest one queued behind it (they coalesce) and
 * an assignment, each at most the largest message the peer accepts. Past it, or stalled, the peer is too slow.
 */
export function sendQueueBounds(peerMaxMessageBytes: number, maxSendStallMs = DEFAULT_SEND_STALL_MS) {
  return { maxQueuedBytes: 3 * peerMaxMessageBytes, maxSendStallMs };
}
