// An in-memory DataChannelLike pair: what one side sends arrives at the other asynchronously, in order,
// with a real buffered amount that drains at a configurable pace and fires buffered-amount-low like an
// RTCDataChannel. For tests and benchmarks of the transport without WebRTC.
import type { DataChannelLike } from './channel.ts';

export interface MemoryChannelOptions {
  /** Bytes delivered per drain tick (simulated link speed); Infinity delivers everything each tick. */
  bytesPerTick?: number;
  /** Refuse send() when more than this is buffered (as a browser closes an overfull channel). */
  maxBuffered?: number;
}

class MemoryEnd implements DataChannelLike {
  peer!: MemoryEnd;
  private queue: Uint8Array[] = [];
  private buffered = 0;
  private lowWater = 0;
  private lowCbs = new Set<() => void>();
  private dataCb: ((d: Uint8Array) => void) | undefined;
  private closeCbs: (() => void)[] = [];
  private scheduled = false;
  closed = false;
  /** Highest bufferedAmount ever seen: tests check that backpressure bounds it. */
  peakBuffered = 0;
  framesSent = 0;

  constructor(private readonly opts: Required<MemoryChannelOptions>) {}

  get bufferedAmount(): number {
    return this.buffered;
  }

  send(data: Uint8Array): void {
    if (this.closed) throw new Error('channel is closed');
    if (this.buffered + data.byteLength > this.opts.maxBuffered) throw new Error('send queue is full');
    // Copy, as a real channel does: the receiver must not see later changes to the sender's buffer.
    this.queue.push(data.slice());
    this.buffered += data.byteLength;
    this.framesSent++;
    if (this.buffered > this.peakBuffered) this.peakBuffered = this.buffered;
    this.schedule();
  }

  setLowWaterMark(bytes: number): void {
    this.lowWater = bytes;
  }

  onBufferedAmountLow(cb: () => void): () => void {
    this.lowCbs.add(cb);
    return () => this.lowCbs.delete(cb);
  }

  onData(cb: (d: Uint8Array) => void): void {
    this.dataCb = cb;
  }

  onClose(cb: () => void): void {
    this.closeCbs.push(cb);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.buffered = 0;
    for (const cb of this.closeCbs) cb();
    setTimeout(() => this.peer.close(), 0);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.tick(), 0);
  }

  private tick(): void {
    this.scheduled = false;
    if (this.closed) return;
    const before = this.buffered;
    let budget = this.opts.bytesPerTick;
    while (this.queue.length > 0 && budget > 0) {
      const d = this.queue.shift()!;
      budget -= d.byteLength;
      this.buffered -= d.byteLength;
      if (!this.peer.closed) this.peer.dataCb?.(d);
    }
    if (before > this.lowWater && this.buffered <= this.lowWater) for (const cb of [...this.lowCbs]) cb();
    if (this.queue.length > 0) this.schedule();
  }
}

export type MemoryChannel = MemoryEnd;

export function createMemoryChannelPair(options: MemoryChannelOptions = {}): [MemoryChannel, MemoryChannel] {
  const opts = { bytesPerTick: options.bytesPerTick ?? 256 * 1024, maxBuffered: options.maxBuffered ?? 16 * 1024 * 1024 };
  const a = new MemoryEnd(opts);
  const b = new MemoryEnd(opts);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
