import { describe, expect, it } from 'vitest';
import { decodeGradient } from '../../protocol/codecs/index.ts';
import { broadcastCodecFor, ModelBroadcast, modelStateFor } from './model-broadcast.ts';
import { MessageTransport } from '../../protocol/transport.ts';
import { createMemoryChannelPair } from '../../protocol/memory-channel.ts';
import type { MessageOf } from '../../protocol/messages.ts';

function randn(n: number, seed: number, scale: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

describe('ModelBroadcast', () => {
  it('fp32: always the full master weights, bit for bit', () => {
    const master = randn(1000, 1, 0.1);
    const b = new ModelBroadcast(master, broadcastCodecFor('fp32'));
    master.set(randn(1000, 2, 0.1));
    b.advance(0, 1);
    const m = b.messageFor(0, 1, 1);
    expect(m.encoding).toBe('full');
    expect(Array.from(new Float32Array(m.weights.slice().buffer))).toEqual(Array.from(master));
  });

  it('int8: in-sync peers get a delta 4x smaller; replaying the deltas gives the replica exactly; it tracks the master', () => {
    const n = 4096;
    const master = randn(n, 3, 0.05);
    const b = new ModelBroadcast(master, broadcastCodecFor('int8'));
    const joined = b.messageFor(-1, 0, 0);
    expect(joined.encoding).toBe('full');
    const peer = new Float32Array(joined.weights.slice().buffer);
    let maxGap = 0;
    for (let v = 1; v <= 30; v++) {
      const step = randn(n, 100 + v, 1e-3);
      for (let i = 0; i < n; i++) master[i] = master[i]! - step[i]!;
      b.advance(v - 1, v);
      const m = b.messageFor(v - 1, v, v);
      expect(m.encoding).toBe('delta');
      expect(m.baseVersion).toBe(v - 1);
      expect(m.weights.byteLength).toBeLessThan((n * 4) / 3);
      const d = decodeGradient(m.weights, n);
      expect(d.ok).toBe(true);
      if (d.ok) for (let i = 0; i < n; i++) peer[i] = peer[i]! + d.vector[i]!;
      for (let i = 0; i < n; i++) maxGap = Math.max(maxGap, Math.abs(peer[i]! - master[i]!));
    }
    // The peer's replica equals what a new joiner gets now, bit for bit.
    const late = b.messageFor(-1, 30, 30);
    expect(late.encoding).toBe('full');
    expect(Array.from(new Float32Array(late.weights.slice().buffer))).toEqual(Array.from(peer));
    // Error feedback keeps the gap within one int8 step of one delta (max |delta| / 127; measured 4e-6),
    // instead of letting 30 rounding errors add up.
    expect(maxGap).toBeLessThan(1e-3 / 127);
    // A peer that is behind by more than one version gets the full replica.
    expect(b.messageFor(28, 30, 30).encoding).toBe('full');
  });
});

describe('model states to a slow peer coalesce', () => {
  it('int8: the queued delta is replaced by the full weights, so every state the peer gets applies', async () => {
    const n = 1_000_000;
    const master = randn(n, 5, 0.05);
    const b = new ModelBroadcast(master, broadcastCodecFor('int8'));
    // A peer that reads 256 KiB a tick: the first full state (4 MB) is still going out when three rounds pass.
    const [ca, cb] = createMemoryChannelPair({ bytesPerTick: 256 * 1024 });
    const sender = new MessageTransport(ca);
    const receiver = new MessageTransport(cb);
    const got: Array<MessageOf<'model-state'>> = [];
    receiver.onMessage((m) => m.type === 'model-state' && got.push(m));
    let sentVersion = -1;
    const send = (version: number) => {
      const pending = sender.framed.hasPending('model-state');
      const msg = modelStateFor(b, { sentVersion, modelStatePending: pending }, version, version);
      void sender.send(msg, { coalesceKey: 'model-state' });
      sentVersion = version;
    };
    send(0);
    for (let v = 1; v <= 3; v++) {
      master.set(randn(n, 10 + v, 0.05));
      b.advance(v - 1, v);
      send(v);
    }
    await new Promise<void>((resolve) => {
      const t = setInterval(() => got.at(-1)?.version === 3 && (clearInterval(t), resolve()), 10);
    });
    // Versions 1 and 2 never went out; 3 came in full, not as a delta against a version the peer lacks.
    expect(got.map((m) => [m.version, m.encoding])).toEqual([[0, 'full'], [3, 'full']]);
    let held = -1;
    for (const m of got) {
      if (m.encoding === 'delta') expect(m.baseVersion).toBe(held);
      held = m.version;
    }
    sender.close();
    receiver.close();
  });
});
