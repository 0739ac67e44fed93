// What one slow receiver can make a sender hold: a bounded send queue, a stall limit, and model states that
// coalesce to the latest instead of piling up one per round.
import { afterEach, describe, expect, it } from 'vitest';
import { FramedTransport } from './transport.ts';
import { createMemoryChannelPair } from './memory-channel.ts';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './framing.ts';
import type { ProtocolError } from './errors.ts';

const CAP = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;
const open: { close(): void }[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

function filled(n: number, value: number): Uint8Array {
  return new Uint8Array(n).fill(value);
}

/** A sender whose channel delivers `bytesPerTick` (0: the receiver never takes anything). */
function pair(bytesPerTick: number, opts: ConstructorParameters<typeof FramedTransport>[1] = {}) {
  const [ca, cb] = createMemoryChannelPair({ bytesPerTick });
  const a = new FramedTransport(ca, { highWaterMark: 2 * MAX_FRAME_BYTES, lowWaterMark: MAX_FRAME_BYTES, drainPollMs: 10, ...opts });
  const b = new FramedTransport(cb);
  open.push(a, b);
  return { a, b };
}

describe('FramedTransport send bounds', () => {
  it('replaces a queued message with the same coalesce key that has not started, and resolves the replaced send', async () => {
    const { a, b } = pair(MAX_FRAME_BYTES);
    const got: number[] = [];
    b.onMessage((m) => got.push(m[0]!));
    const first = a.send(filled(20 * CAP, 1), { coalesceKey: 'model' });
    const second = a.send(filled(20 * CAP, 2), { coalesceKey: 'model' });
    const other = a.send(filled(10, 9));
    expect(a.hasPending('model')).toBe(true);
    const third = a.send(filled(20 * CAP, 3), { coalesceKey: 'model' });
    // The first had started (it holds the channel), the second had not: the third takes its place, before `other`.
    expect(a.queuedByteCount).toBe(2 * 20 * CAP + 10);
    await expect(second).resolves.toBeUndefined();
    await Promise.all([first, other, third]);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([1, 3, 9]);
    expect(a.queuedByteCount).toBe(0);
  });

  it('refuses a send that would pass maxQueuedBytes and reports the receiver as too slow, once', async () => {
    const { a } = pair(0, { maxQueuedBytes: 6 * CAP });
    const slow: ProtocolError[] = [];
    a.onTooSlow((e) => slow.push(e));
    // The channel takes 3 frames (its high-water mark), then the receiver takes nothing: the rest stays queued.
    void a.send(filled(4 * CAP, 1)).catch(() => {});
    await expect(a.send(filled(4 * CAP, 2))).rejects.toMatchObject({ code: 'OVERLOADED' });
    await expect(a.send(filled(4 * CAP, 3))).rejects.toMatchObject({ code: 'OVERLOADED' });
    expect(slow.map((e) => e.code)).toEqual(['OVERLOADED']);
    expect(a.queuedByteCount).toBe(4 * CAP);
  });

  it('coalescing keeps a never-reading receiver within the bound', async () => {
    const { a } = pair(0, { maxQueuedBytes: 5 * CAP });
    const slow: ProtocolError[] = [];
    a.onTooSlow((e) => slow.push(e));
    // One model state per "round" for 50 rounds: without coalescing 100 frames' worth would be queued.
    for (let round = 0; round < 50; round++) void a.send(filled(2 * CAP, round), { coalesceKey: 'model' }).catch(() => {});
    expect(slow).toEqual([]);
    expect(a.queuedByteCount).toBe(4 * CAP);
  });

  it('reports a receiver that takes nothing for maxSendStallMs', async () => {
    const { a } = pair(0, { maxSendStallMs: 150 });
    const slow: ProtocolError[] = [];
    a.onTooSlow((e) => slow.push(e));
    void a.send(filled(10 * CAP, 1)).catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(slow).toEqual([]);
    await new Promise((r) => setTimeout(r, 250));
    expect(slow.map((e) => e.code)).toEqual(['TIMEOUT']);
  });

  it('a slow but moving receiver is not reported', async () => {
    const { a, b } = pair(CAP, { maxSendStallMs: 150 });
    const slow: ProtocolError[] = [];
    a.onTooSlow((e) => slow.push(e));
    let got = 0;
    b.onMessage(() => got++);
    await a.send(filled(40 * CAP, 1));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toBe(1);
    expect(slow).toEqual([]);
  });
});
