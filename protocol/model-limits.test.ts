import { describe, expect, it } from 'vitest';
import { codecByName } from './codecs/index.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { decodeMessage, encodeMessage, type MessageOf } from './messages.ts';
import { codecPayloadBytes, coordinatorLimits, MESSAGE_OVERHEAD_BYTES, MIN_MESSAGE_BYTES, peerLimits } from './model-limits.ts';

function result(gradient: Uint8Array): MessageOf<'result'> {
  return { type: 'result', round: 1, version: 1, batchIds: [1], loss: 2, bytes: 10, gradient, computeMs: 1, encodeMs: 1 };
}

describe('limits sized to the model', () => {
  it('size a coordinator to one result in the run codec, and reassembly to two', () => {
    const n = 3_000_000;
    for (const codec of ['fp32', 'fp16', 'int8', 'topk']) {
      const lim = coordinatorLimits(n, codec);
      expect(lim.maxMessageBytes).toBe(Math.max(MIN_MESSAGE_BYTES, codecPayloadBytes(n, codec) + MESSAGE_OVERHEAD_BYTES));
      expect(lim.maxReassemblyBytes).toBe(2 * lim.maxMessageBytes!);
      expect(lim.maxMessageBytes!).toBeLessThan(DEFAULT_LIMITS.maxMessageBytes / 8);
    }
    expect(coordinatorLimits(n, 'int8').maxMessageBytes!).toBeLessThan(coordinatorLimits(n, 'fp32').maxMessageBytes! / 3);
    // A small model still gets room for control messages.
    expect(coordinatorLimits(1000, 'fp32').maxMessageBytes).toBe(MIN_MESSAGE_BYTES);
  });

  it('a real result fits; a result padded past the model size is refused before anyone decodes it', () => {
    const n = 400_000;
    const lim = coordinatorLimits(n, 'int8');
    const real = result(codecByName('int8').encode(new Float32Array(n).fill(0.5)));
    expect(decodeMessage(encodeMessage(real), lim).ok).toBe(true);
    // An fp32 payload of the right length in an int8 run is 4x what the codec makes: refused as too large,
    // where the fixed 128 MiB default accepted it.
    const padded = encodeMessage(result(codecByName('fp32').encode(new Float32Array(n))));
    expect(decodeMessage(padded).ok).toBe(true);
    const r = decodeMessage(padded, lim);
    expect(r.ok || r.error.code).toBe('TOO_LARGE');
  });

  it('size a peer to a full fp32 model state and to assignments of context-sized examples', () => {
    const n = 250_000;
    const lim = peerLimits({ numParams: n, exampleBytes: 96 });
    const weights = new Uint8Array(new Float32Array(n).buffer);
    const state: MessageOf<'model-state'> = { type: 'model-state', version: 1, round: 1, weights };
    expect(decodeMessage(encodeMessage(state), lim).ok).toBe(true);
    expect(lim.maxMessageBytes).toBe(4 * n + MESSAGE_OVERHEAD_BYTES);
    const tooLong: MessageOf<'assignment'> = {
      type: 'assignment', round: 1, version: 1, batches: [{ batchId: 1, examples: [new Uint8Array(97)] }], lr: 0, localSteps: 1, roundPeers: 1,
    };
    const a = decodeMessage(encodeMessage(tooLong), lim);
    expect(a.ok || a.error.code).toBe('TOO_LARGE');
  });
});
