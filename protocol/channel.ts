// What the transport needs from a data channel, and adapters for the two kinds we meet: a simple-peer
// connection (Node with @roamhq/wrtc, or the browser build) and a bare RTCDataChannel. Tests may pass an
// in-memory pair. Platform-free: only structural types, no DOM or Node imports.

export interface DataChannelLike {
  /** Sends one data-channel message (one frame). Must copy `data` before returning (RTCDataChannel.send does):
   *  the transport reuses its frame buffer. May throw if the channel is closed. */
  send(data: Uint8Array): void;
  /** Bytes queued by send() and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Sets the threshold below which the channel fires its buffered-amount-low event. */
  setLowWaterMark(bytes: number): void;
  /** Subscribes to the buffered-amount-low event; returns an unsubscribe function. */
  onBufferedAmountLow(cb: () => void): () => void;
  /** Receives each incoming data-channel message (replaces an earlier callback). */
  onData(cb: (data: Uint8Array) => void): void;
  onClose(cb: () => void): void;
  close(): void;
}

/** The parts of an RTCDataChannel (browser or @roamhq/wrtc) the adapters use. */
export interface RTCDataChannelLike {
  binaryType: string;
  readonly bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  readonly readyState: string;
  send(data: ArrayBufferView | ArrayBuffer): void;
  close(): void;
  addEventListener(type: string, listener: (ev: { data?: unknown }) => void): void;
  removeEventListener(type: string, listener: (ev: { data?: unknown }) => void): void;
}

/** The parts of a simple-peer instance the adapter uses (`_channel` is its RTCDataChannel). */
export interface SimplePeerLike {
  send(data: Uint8Array): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  destroy(): void;
  _channel?: unknown;
}

const textEncoder = new TextEncoder();

/** Incoming data as bytes: ArrayBuffer / views as a Uint8Array view, strings as their UTF-8 (which no frame parses). */
function asBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return textEncoder.encode(data);
  return new Uint8Array(0);
}

export function fromSimplePeer(peer: SimplePeerLike): DataChannelLike {
  const channel = () => peer._channel as RTCDataChannelLike | undefined;
  let dataCb: ((d: Uint8Array) => void) | undefined;
  // simple-peer's stream emits each data-channel message as one 'data' chunk (Buffer in Node).
  peer.on('data', (d: unknown) => dataCb?.(asBytes(d)));
  return {
    send: (data) => peer.send(data),
    get bufferedAmount() {
      return channel()?.bufferedAmount ?? 0;
    },
    setLowWaterMark(bytes) {
      const c = channel();
      // simple-peer pauses its own stream writes above 64 KiB and waits for this event: a higher threshold
      // only makes it resume earlier.
      if (c && typeof c.bufferedAmountLowThreshold === 'number') c.bufferedAmountLowThreshold = bytes;
    },
    onBufferedAmountLow(cb) {
      const c = channel();
      if (!c || typeof c.addEventListener !== 'function') return () => {};
      const listener = () => cb();
      // addEventListener, not onbufferedamountlow: simple-peer owns that property.
      c.addEventListener('bufferedamountlow', listener);
      return () => c.removeEventListener('bufferedamountlow', listener);
    },
    onData(cb) {
      dataCb = cb;
    },
    onClose(cb) {
      peer.on('close', cb);
    },
    close: () => peer.destroy(),
  };
}

export function fromRTCDataChannel(dc: RTCDataChannelLike): DataChannelLike {
  dc.binaryType = 'arraybuffer';
  let dataCb: ((d: Uint8Array) => void) | undefined;
  dc.addEventListener('message', (ev) => dataCb?.(asBytes(ev.data)));
  return {
    send: (data) => dc.send(data),
    get bufferedAmount() {
      return dc.bufferedAmount;
    },
    setLowWaterMark(bytes) {
      dc.bufferedAmountLowThreshold = bytes;
    },
    onBufferedAmountLow(cb) {
      const listener = () => cb();
      dc.addEventListener('bufferedamountlow', listener);
      return () => dc.removeEventListener('bufferedamountlow', listener);
    },
    onData(cb) {
      dataCb = cb;
    },
    onClose(cb) {
      dc.addEventListener('close', () => cb());
    },
    close: () => dc.close(),
  };
}
