// One valid sample of every message type, shared by the round-trip, fuzz and transport tests and the bench.
import type { Message, MessageTypeName } from './messages.ts';
import { PROTOCOL_VERSION } from './messages.ts';
import { codecByName } from './codecs/index.ts';

export function sampleMessages(): Record<MessageTypeName, Message> {
  const grad = new Float32Array([0.5, -0.25, 1e-3, 0]);
  return {
    join: {
      type: 'join', protocolVersion: PROTOCOL_VERSION, token: 'secret', kind: 'node', backend: 'wasm', name: 'n1',
      capabilities: { threads: 2, simd: true },
    },
    welcome: {
      type: 'welcome', protocolVersion: PROTOCOL_VERSION, peerId: 'p1', runId: 'r1',
      config: { dModel: 64, coreLayers: 2, shareFfn: true, preset: 'tiny' }, seed: 7, codec: 'int8', localSteps: 1,
      iceServers: [{ urls: 'stun:127.0.0.1:3478' }, { urls: ['turn:127.0.0.1'], username: 'u', credential: 'c' }],
      heartbeatMs: 2000, innerOptimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clipNorm: 1 },
      relay: { afterMs: 5000 },
    },
    signal: { type: 'signal', data: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } },
    'use-relay': { type: 'use-relay', reason: 'the data channel did not open within 5000 ms' },
    ready: { type: 'ready', version: 3, backend: 'wasm', threads: 2 },
    'model-state': { type: 'model-state', version: 3, round: 2, weights: new Uint8Array(new Float32Array([1, 2, 3]).buffer) },
    assignment: {
      type: 'assignment', round: 2, version: 3, lr: 1e-3, localSteps: 1, roundPeers: 2,
      batches: [{ batchId: 11, examples: [new TextEncoder().encode('hello'), new Uint8Array(0)] }],
    },
    result: {
      type: 'result', round: 2, version: 3, batchIds: [11], loss: 2.5, bytes: 6, gradient: codecByName('fp32').encode(grad),
      computeMs: 12.5, encodeMs: 0.5,
    },
    heartbeat: { type: 'heartbeat', sentAt: 1_700_000_000_000, stats: { bytesPerSecond: 1234.5, round: 2 } },
    leave: { type: 'leave', reason: 'done' },
    error: { type: 'error', code: 'ERR_TOKEN', message: 'wrong token', fatal: true },
  };
}
