// PeerTrainer against the real tiny model over an in-memory data channel with the real framed transport:
// model-state → ready, assignment → result (the gradient is exactly the model's), local steps send
// old − new weights after H AdamW steps, an assignment for a version it does not hold is never trained.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryChannelPair } from '../../protocol/memory-channel.ts';
import { MessageTransport } from '../../protocol/transport.ts';
import { PROTOCOL_VERSION, type Message, type MessageOf, type ModelConfigJson } from '../../protocol/messages.ts';
import { decodeGradient } from '../../protocol/codecs/index.ts';
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import { AdamW, DEFAULT_ADAMW } from '../../model/adamw.ts';
import { decayMaskFromManifest } from '../../model/params.ts';
import { textToBytes } from '../../model/bytes.ts';
import { runPeer, type PeerTrainer } from './peer-trainer.ts';

const config = resolveConfig('tiny');
const examples = ['The cat sat on the mat. ', 'A swarm trains one model together.', 'bytes in, bytes out'].map(textToBytes);
let trainer: PeerTrainer | undefined;

beforeAll(async () => {
  await setupBackend('wasm');
});
afterEach(() => trainer?.stop());

function setup(localSteps: number, heartbeatMs = 60_000) {
  const [a, b] = createMemoryChannelPair();
  const coordinator = new MessageTransport(a);
  const peerSide = new MessageTransport(b);
  const received: Message[] = [];
  coordinator.onMessage((m) => received.push(m));
  const welcome: MessageOf<'welcome'> = {
    type: 'welcome', protocolVersion: PROTOCOL_VERSION, peerId: 'p1', runId: 'r', config: config as unknown as ModelConfigJson,
    seed: 5, codec: 'fp32', localSteps, iceServers: [], heartbeatMs, innerOptimizer: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, clipNorm: 1 },
  };
  // What the peer was doing when it sent each message.
  const sentWhile: Array<{ type: Message['type']; state: string }> = [];
  const send = peerSide.send.bind(peerSide);
  peerSide.send = (m: Message) => {
    sentWhile.push({ type: m.type, state: trainer?.stats.state ?? 'none' });
    return send(m);
  };
  trainer = runPeer({ transport: peerSide, welcome, backendName: 'wasm', createModel: (c, seed) => StlmModel.create(c, seed) });
  const next = async (type: Message['type']) => {
    for (let i = 0; i < 500; i++) {
      const m = received.find((x) => x.type === type);
      if (m) {
        received.splice(received.indexOf(m), 1);
        return m;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no ${type} message`);
  };
  return { coordinator, received, next, sentWhile };
}

const weightsOf = (seed: number) => StlmModel.create(config, seed);
const asBytes = (w: Float32Array) => new Uint8Array(w.buffer, w.byteOffset, w.byteLength);

describe('PeerTrainer', () => {
  it('acknowledges a model state, then returns the exact gradient of its batch on that state', async () => {
    const { coordinator, next } = setup(1);
    const ref = weightsOf(9);
    const w = ref.getWeights();
    void coordinator.send({ type: 'model-state', version: 3, round: 7, weights: asBytes(w) });
    expect(await next('ready')).toMatchObject({ version: 3, backend: 'wasm' });
    void coordinator.send({ type: 'assignment', round: 7, version: 3, batches: [{ batchId: 11, examples }], lr: 0, localSteps: 1, roundPeers: 2 });
    const r = (await next('result')) as MessageOf<'result'>;
    const expected = ref.trainStep(examples);
    expect(r).toMatchObject({ round: 7, version: 3, batchIds: [11], bytes: expected.bytes });
    expect(r.loss).toBeCloseTo(expected.loss, 6);
    const g = decodeGradient(r.gradient, ref.numParams);
    expect(g.ok).toBe(true);
    if (g.ok) expect(Array.from(g.vector)).toEqual(Array.from(expected.grads));
    expect(trainer!.stats.roundsDone).toBe(1);
    expect(trainer!.stats.share).toBeCloseTo(0.5);
    ref.dispose();
  });

  it('in local-steps mode sends old − new weights after H inner AdamW steps', async () => {
    const { coordinator, next } = setup(2);
    const ref = weightsOf(4);
    const w0 = ref.getWeights();
    void coordinator.send({ type: 'model-state', version: 0, round: 0, weights: asBytes(w0) });
    await next('ready');
    const b1 = examples.slice(0, 2);
    const b2 = examples.slice(1);
    void coordinator.send({
      type: 'assignment', round: 0, version: 0, lr: 0.01, localSteps: 2, roundPeers: 1,
      batches: [{ batchId: 1, examples: b1 }, { batchId: 2, examples: b2 }],
    });
    const r = (await next('result')) as MessageOf<'result'>;
    expect(r.batchIds).toEqual([1, 2]);
    // The same two steps by hand.
    const opt = new AdamW(ref.numParams, { ...DEFAULT_ADAMW, decayMask: decayMaskFromManifest(ref.manifest) });
    const w = w0.slice();
    for (const b of [b1, b2]) {
      opt.step(w, ref.trainStep(b).grads, 0.01);
      ref.setWeights(w);
    }
    const g = decodeGradient(r.gradient, ref.numParams);
    expect(g.ok).toBe(true);
    if (!g.ok) return;
    let maxDiff = 0;
    let norm = 0;
    for (let i = 0; i < w.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(g.vector[i]! - (w0[i]! - w[i]!)));
      norm += g.vector[i]! ** 2;
    }
    expect(norm).toBeGreaterThan(0);
    expect(maxDiff).toBeLessThan(1e-6);
    ref.dispose();
  });

  it('never trains an assignment for a model version it does not hold', async () => {
    const { coordinator, next, received } = setup(1);
    const ref = weightsOf(1);
    void coordinator.send({ type: 'model-state', version: 5, round: 5, weights: asBytes(ref.getWeights()) });
    await next('ready');
    void coordinator.send({ type: 'assignment', round: 5, version: 4, batches: [{ batchId: 1, examples }], lr: 0, localSteps: 1, roundPeers: 1 });
    void coordinator.send({ type: 'assignment', round: 5, version: 5, batches: [{ batchId: 2, examples }], lr: 0, localSteps: 1, roundPeers: 1 });
    const r = (await next('result')) as MessageOf<'result'>;
    expect(r.batchIds).toEqual([2]);
    expect(received.filter((m) => m.type === 'result')).toHaveLength(0);
    ref.dispose();
  });

  it('lets the event loop run between local steps (heartbeats go out; socket.io pings get answered)', async () => {
    const { coordinator, next, sentWhile } = setup(4, 1);
    const ref = weightsOf(2);
    void coordinator.send({ type: 'model-state', version: 0, round: 0, weights: asBytes(ref.getWeights()) });
    await next('ready');
    const batches = [1, 2, 3, 4].map((batchId) => ({ batchId, examples }));
    void coordinator.send({ type: 'assignment', round: 0, version: 0, lr: 0.01, localSteps: 4, roundPeers: 1, batches });
    await next('result');
    expect(sentWhile.filter((s) => s.type === 'heartbeat' && s.state === 'training').length).toBeGreaterThan(0);
    ref.dispose();
  });
});
