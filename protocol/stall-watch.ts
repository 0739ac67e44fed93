// Whether a data channel drains while something waits to go out. What drained between two looks is the bytes
// handed to the channel minus the growth of its buffer; nothing drained for `stallMs` means the receiver
// takes nothing (a stopped process, a stack that never reads), which backpressure alone would wait on for
// ever. The timer runs only while something waits, so an idle transport holds none.
import type { DataChannelLike } from './channel.ts';

export class StallWatch {
  private timer: ReturnType<typeof setInterval> | undefined;
  private handedBytes = 0;

  constructor(
    private readonly channel: Pick<DataChannelLike, 'bufferedAmount'>,
    private readonly stallMs: number,
    /** True while messages wait in the sender's queue. */
    private readonly queueWaiting: () => boolean,
    private readonly onStall: (stalledMs: number) => void,
  ) {}

  /** Counts bytes handed to the channel. */
  handed(bytes: number): void {
    this.handedBytes += bytes;
  }

  /** Starts watching (no-op if watching already, or with an infinite stallMs). */
  arm(): void {
    if (this.timer || !Number.isFinite(this.stallMs)) return;
    let handed = this.handedBytes;
    let buffered = this.channel.bufferedAmount;
    let progressAt = Date.now();
    const every = Math.max(10, Math.min(1000, this.stallMs / 8));
    this.timer = setInterval(() => {
      const nowBuffered = this.channel.bufferedAmount;
      const now = Date.now();
      if (nowBuffered === 0 && !this.queueWaiting()) return this.stop();
      const drained = this.handedBytes - handed - (nowBuffered - buffered);
      handed = this.handedBytes;
      buffered = nowBuffered;
      if (drained > 0) progressAt = now;
      else if (now - progressAt >= this.stallMs) this.onStall(now - progressAt);
    }, every);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
