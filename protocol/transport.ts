// Messages over a WebRTC data channel: FramedTransport moves byte messages of any size (split into
// <= 64 KiB frames, CRC-checked, reassembled, stalled partials dropped) with backpressure on the channel's
// buffered amount; MessageTransport moves validated protocol Messages on top of it.
import { buildFrame, frameCount, MAX_FRAME_BYTES, FRAME_HEADER_BYTES, Reassembler } from './framing.ts';
import { ProtocolError, toProtocolError } from './errors.ts';
import { resolveLimits, type ProtocolLimits } from './limits.ts';
import { decodeMessage, encodeMessage, type Message } from './messages.ts';
import type { DataChannelLike } from './channel.ts';

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
}

const DEFAULTS = {
  frameBytes: MAX_FRAME_BYTES,
  highWaterMark: 1024 * 1024,
  lowWaterMark: 256 * 1024,
  drainPollMs: 50,
};

interface Outgoing {
  bytes: Uint8Array;
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
   * ('TOO_LARGE', 'CLOSED', or the channel's failure).
   */
  send(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new ProtocolError('CLOSED', 'transport is closed'));
    if (bytes.byteLength > this.limits.maxMessageBytes) {
      return Promise.reject(new ProtocolError('TOO_LARGE', `message of ${bytes.byteLength} bytes exceeds ${this.limits.maxMessageBytes}`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      if (!this.pumping) void this.pump();
    });
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
    this.reassembler.clear();
    const err = new ProtocolError('CLOSED', 'transport closed before the message was sent');
    for (const o of this.queue.splice(0)) o.reject(err);
    this.wakeSender?.();
    for (const cb of this.closeCbs.splice(0)) safeCall(() => cb());
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const out = this.queue[0]!;
        const id = this.nextId;
        this.nextId = (this.nextId + 1) >>> 0; // 32-bit ids wrap; only a handful are ever in flight
        const count = frameCount(out.bytes.byteLength, this.opts.frameBytes);
        try {
          for (let i = 0; i < count; i++) {
            if (this.channel.bufferedAmount > this.opts.highWaterMark) await this.drain();
            if (this.closed) throw new ProtocolError('CLOSED', 'transport closed while sending');
            this.channel.send(buildFrame(out.bytes, id, i, this.opts.frameBytes, this.scratch));
          }
          this.queue.shift();
          out.resolve();
        } catch (e) {
          this.queue.shift();
          out.reject(toProtocolError(e, 'CLOSED'));
        }
      }
    } finally {
      this.pumping = false;
    }
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
  send(msg: Message): Promise<void> {
    const p = this.framed.send(encodeMessage(msg, this.limits));
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
