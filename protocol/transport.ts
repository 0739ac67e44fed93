// Messages over a WebRTC data channel: FramedTransport moves byte messages of any size (split into
// <= 64 KiB frames, CRC-checked, reassembled, stalled partials dropped) with backpressure on the channel's
// buffered amount; MessageTransport moves validated protocol Messages on top of it.
import { buildFrame, frameCount, MAX_FRAME_BYTES, FRAME_HEADER_BYTES, Reassembler } from './framing.ts';
import { ProtocolError, toProtocolError } from './errors.ts';
import { resolveLimits, type ProtocolLimits } from './limits.ts';
import { decodeMessage, encodeMessage, type Message } from './messages.ts';
import type { DataChannelLike } from './channel.ts';
import { StallWatch } from './stall-watch.ts';

export { fromSimplePeer, fromRTCDataChannel, type DataChannelLike, type SimplePeerLike, type RTCDataChannelLike } from './channel.ts';

export interface FramedTransportOptions {
  limits?: Partial<ProtocolLimits>;
  /** Frame size including the 24-byte header; at most 64 KiB. */
  frameBytes?: number;
  /** send() pauses while the channel buffers more than this. */
  highWaterMark?: number;
  /** ...and resumes when the buffer drains below this (the channel's bufferedAmountLowThreshold). */
  lowWaterMark?: number;
  /** Backstop poll while paused, in case a buffered-amount-low event is never delivered. */
  drainPollMs?: number;
  /** Bytes queued and not yet handed to the channel (the message being sent included) above which the receiver
   *  counts as too slow: the send is refused and onTooSlow fires. */
  maxQueuedBytes?: number;
  /** The receiver counts as too slow when the channel's buffer has not drained at all for this long while
   *  messages wait (a peer that stopped reading keeps the sender paused forever otherwise). */
  maxSendStallMs?: number;
}

export interface SendOptions {
  /** A message with a key replaces the queued message with the same key that has not started sending, in its
   *  place in the queue (e.g. model states: only the latest matters). The replaced send's promise resolves. */
  coalesceKey?: string;
}

const DEFAULTS = {
  frameBytes: MAX_FRAME_BYTES,
  highWaterMark: 1024 * 1024,
  lowWaterMark: 256 * 1024,
  drainPollMs: 50,
  maxQueuedBytes: Infinity,
  maxSendStallMs: Infinity,
};

interface Outgoing {
  bytes: Uint8Array;
  coalesceKey: string | undefined;
  /** Its first frame went to the channel: it can no longer be replaced. */
  started: boolean;
  resolve(): void;
  reject(e: ProtocolError): void;
}

export class FramedTransport {
  private readonly limits: ProtocolLimits;
  private readonly opts: typeof DEFAULTS;
  private readonly reassembler: Reassembler;
  private readonly queue: Outgoing[] = [];
  private nextId = 0;
  private pumping = false;
  private closed = false;
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  private messageCbs: ((bytes: Uint8Array) => void)[] = [];
  private errorCbs: ((err: ProtocolError) => void)[] = [];
  private closeCbs: (() => void)[] = [];
  private tooSlowCbs: ((err: ProtocolError) => void)[] = [];
  private queuedBytes = 0;
  private tooSlow = false;
  private readonly stallWatch: StallWatch;
  private wakeSender: (() => void) | undefined;
  /** One frame buffer reused for every frame: channel.send() copies (RTCDataChannel does; so must others). */
  private readonly scratch: Uint8Array;

  constructor(
    private readonly channel: DataChannelLike,
    options: FramedTransportOptions = {},
  ) {
    this.limits = resolveLimits(options.limits);
    this.opts = { ...DEFAULTS, ...stripUndefined(options) };
    if (this.opts.frameBytes > MAX_FRAME_BYTES || this.opts.frameBytes <= FRAME_HEADER_BYTES) {
      throw new RangeError(`frameBytes must be in (${FRAME_HEADER_BYTES}, ${MAX_FRAME_BYTES}]`);
    }
    this.reassembler = new Reassembler(this.limits);
    this.scratch = new Uint8Array(this.opts.frameBytes);
    this.stallWatch = new StallWatch(channel, this.opts.maxSendStallMs, () => this.queue.length > 0, (ms) =>
      this.reportTooSlow(new ProtocolError('TIMEOUT', `the receiver took nothing for ${ms} ms`)),
    );
    channel.setLowWaterMark(this.opts.lowWaterMark);
    channel.onData((frame) => this.onFrame(frame));
    channel.onClose(() => this.shutdown());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues one message; resolves once its last frame is handed to the channel. Messages go out whole and
   * in order (a model state is never overtaken by the assignment after it). Rejects with ProtocolError
   * ('TOO_LARGE', 'OVERLOADED' when the queue would pass maxQueuedBytes, 'CLOSED', or the channel's failure).
   */
  send(bytes: Uint8Array, options: SendOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new ProtocolError('CLOSED', 'transport is closed'));
    if (bytes.byteLength > this.limits.maxMessageBytes) {
      return Promise.reject(new ProtocolError('TOO_LARGE', `message of ${bytes.byteLength} bytes exceeds ${this.limits.maxMessageBytes}`));
    }
    const key = options.coalesceKey;
    const replaced = key === undefined ? undefined : this.queue.find((o) => !o.started && o.coalesceKey === key);
    const after = this.queuedBytes - (replaced?.bytes.byteLength ?? 0) + bytes.byteLength;
    if (after > this.opts.maxQueuedBytes) {
      const err = new ProtocolError('OVERLOADED', `send queue would hold ${after} bytes, more than ${this.opts.maxQueuedBytes}`);
      this.reportTooSlow(err);
      return Promise.reject(err);
    }
    this.queuedBytes = after;
    return new Promise<void>((resolve, reject) => {
      if (replaced) {
        // The older message never started: the receiver will not miss it, so its sender's wait is over.
        const superseded = replaced.resolve;
        Object.assign(replaced, { bytes, resolve, reject });
        superseded();
        return;
      }
      this.queue.push({ bytes, coalesceKey: key, started: false, resolve, reject });
      if (!this.pumping) void this.pump();
      this.stallWatch.arm();
    });
  }

  /** Bytes queued and not yet fully handed to the channel. */
  get queuedByteCount(): number {
    return this.queuedBytes;
  }

  /** True if a message with this coalesce key waits in the queue and has not started sending. */
  hasPending(coalesceKey: string): boolean {
    return this.queue.some((o) => !o.started && o.coalesceKey === coalesceKey);
  }

  /** The receiver is too slow (maxQueuedBytes or maxSendStallMs); fires once. The transport stays open: the
   *  owner decides (the coordinator drops the peer with ERR_TOO_SLOW). */
  onTooSlow(cb: (err: ProtocolError) => void): void {
    this.tooSlowCbs.push(cb);
  }

  onMessage(cb: (bytes: Uint8Array) => void): void {
    this.messageCbs.push(cb);
  }

  /** Frames or messages that were dropped (bad frame, stalled partial, over a limit). The transport stays open. */
  onError(cb: (err: ProtocolError) => void): void {
    this.errorCbs.push(cb);
  }

  onClose(cb: () => void): void {
    if (this.closed) cb();
    else this.closeCbs.push(cb);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.channel.close();
    } catch {
      // already closed underneath
    }
    this.shutdown();
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    this.stallWatch.stop();
    this.reassembler.clear();
    const err = new ProtocolError('CLOSED', 'transport closed before the message was sent');
    for (const o of this.queue.splice(0)) o.reject(err);
    this.queuedBytes = 0;
    this.wakeSender?.();
    for (const cb of this.closeCbs.splice(0)) safeCall(() => cb());
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const out = this.queue[0]!;
        out.started = true;
        const id = this.nextId;
        this.nextId = (this.nextId + 1) >>> 0; // 32-bit ids wrap; only a handful are ever in flight
        const count = frameCount(out.bytes.byteLength, this.opts.frameBytes);
        try {
          for (let i = 0; i < count; i++) {
            if (this.channel.bufferedAmount > this.opts.highWaterMark) await this.drain();
            if (this.closed) throw new ProtocolError('CLOSED', 'transport closed while sending');
            const frame = buildFrame(out.bytes, id, i, this.opts.frameBytes, this.scratch);
            this.channel.send(frame);
            this.stallWatch.handed(frame.byteLength);
          }
          this.dequeue(out);
          out.resolve();
        } catch (e) {
          this.dequeue(out);
          out.reject(toProtocolError(e, 'CLOSED'));
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private dequeue(out: Outgoing): void {
    this.queue.shift();
    this.queuedBytes -= out.bytes.byteLength;
  }

  private reportTooSlow(err: ProtocolError): void {
    if (this.tooSlow) return;
    this.tooSlow = true;
    for (const cb of this.tooSlowCbs) safeCall(() => cb(err));
  }

  /** Waits until the channel's buffer is below the low-water mark (event, with a poll as backstop). */
  private drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        unsubscribe();
        clearInterval(poll);
        this.wakeSender = undefined;
        resolve();
      };
      const unsubscribe = this.channel.onBufferedAmountLow(finish);
      const poll = setInterval(() => {
        if (this.closed || this.channel.bufferedAmount <= this.opts.lowWaterMark) finish();
      }, this.opts.drainPollMs);
      this.wakeSender = finish;
      // The event may have fired between the caller's check and the subscription.
      if (this.channel.bufferedAmount <= this.opts.lowWaterMark) finish();
    });
  }

  private onFrame(frame: Uint8Array): void {
    if (this.closed) return;
    const now = Date.now();
    const r = this.reassembler.push(frame, now);
    if (r.error) this.emitError(r.error);
    // A throwing handler must not break reassembly; it is reported (not rethrown: in Node that would end the process).
    if (r.message) {
      for (const cb of this.messageCbs) {
        safeCall(() => cb(r.message!), (e) => this.emitError(e instanceof ProtocolError ? e : new ProtocolError('INVALID', `message handler threw: ${String((e as Error)?.message ?? e)}`)));
      }
    }
    this.armSweep();
  }

  /** A timer runs only while partial messages exist, so an idle transport holds no timer. */
  private armSweep(): void {
    if (this.reassembler.partialCount === 0) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = undefined;
      return;
    }
    if (this.sweepTimer) return;
    const every = Math.max(10, Math.min(1000, this.limits.partialTimeoutMs / 4));
    this.sweepTimer = setInterval(() => {
      for (const err of this.reassembler.expire(Date.now())) this.emitError(err);
      this.armSweep();
    }, every);
  }

  private emitError(err: ProtocolError): void {
    for (const cb of this.errorCbs) safeCall(() => cb(err));
  }
}

export interface MessageTransportOptions extends FramedTransportOptions {}

/**
 * What a protocol participant needs from a message link: MessageTransport is one; a browser tab's training
 * Web Worker has another that relays through the page (peer/browser/peer-worker.ts).
 */
export interface MessageEndpoint {
  /** Sends one message; throws ProtocolError synchronously if the message is invalid. */
  send(msg: Message): unknown;
  onMessage(cb: (msg: Message) => void): void;
  /** Messages that failed checks or validation (and were dropped). */
  onInvalid(cb: (err: ProtocolError) => void): void;
}

/** Validated protocol messages over a data channel (or an existing FramedTransport). */
export class MessageTransport implements MessageEndpoint {
  readonly framed: FramedTransport;
  private readonly limits: Partial<ProtocolLimits> | undefined;
  private messageCbs: ((msg: Message) => void)[] = [];
  private invalidCbs: ((err: ProtocolError) => void)[] = [];

  constructor(channel: DataChannelLike | FramedTransport, options: MessageTransportOptions = {}) {
    this.framed = channel instanceof FramedTransport ? channel : new FramedTransport(channel, options);
    this.limits = options.limits;
    this.framed.onMessage((bytes) => {
      const r = decodeMessage(bytes, this.limits);
      if (!r.ok) return this.emitInvalid(r.error);
      for (const cb of this.messageCbs) cb(r.message);
    });
    this.framed.onError((err) => this.emitInvalid(err));
  }

  /**
   * Encodes (throws ProtocolError synchronously if the message is invalid) and queues the message. The
   * returned promise resolves when it is handed to the channel; ignoring it is safe (a failure then only
   * surfaces through onClose), it never becomes an unhandled rejection.
   */
  send(msg: Message, options?: SendOptions): Promise<void> {
    const p = this.framed.send(encodeMessage(msg, this.limits), options);
    p.catch(() => {});
    return p;
  }

  onMessage(cb: (msg: Message) => void): void {
    this.messageCbs.push(cb);
  }

  /** Frames or messages that failed checks or validation; the offending message is dropped. */
  onInvalid(cb: (err: ProtocolError) => void): void {
    this.invalidCbs.push(cb);
  }

  onClose(cb: () => void): void {
    this.framed.onClose(cb);
  }

  get isClosed(): boolean {
    return this.framed.isClosed;
  }

  close(): void {
    this.framed.close();
  }

  private emitInvalid(err: ProtocolError): void {
    for (const cb of this.invalidCbs) safeCall(() => cb(err));
  }
}

/** Runs a callback so that its exception cannot break the transport's own state. */
function safeCall(fn: () => void, onError?: (e: unknown) => void): void {
  try {
    fn();
  } catch (e) {
    if (onError) onError(e);
    else queueMicrotask(() => {
      throw e;
    });
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
