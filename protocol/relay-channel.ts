// A data channel carried by the signaling socket: where WebRTC cannot connect (no UDP path, a symmetric NAT
// without TURN, a browser with WebRTC off or blocked), each frame travels as one binary socket.io event
// ('frame') on the socket the peer already holds. Everything above it (framing, CRC, reassembly limits,
// message validation) is the data channel's; only the bytes' road differs.
//
// Backpressure: socket.io has no buffered-amount counter, so every frame is sent with an acknowledgement and
// `bufferedAmount` counts the bytes not yet acknowledged by the other side. A receiver that never reads (or
// never acknowledges) therefore stalls its sender at the transport's high-water mark, exactly like a data
// channel whose remote end stops reading. Platform-free: socket.io-client in a tab or Node, socket.io on
// the coordinator, passed in as a structural type.
import type { DataChannelLike } from './channel.ts';

/** The socket event that carries one frame. */
export const RELAY_FRAME_EVENT = 'frame';

/** The part of a socket.io socket (server or client) the relay uses. */
export interface RelaySocketLike {
  emit(event: typeof RELAY_FRAME_EVENT, data: Uint8Array, ack: () => void): unknown;
  on(event: typeof RELAY_FRAME_EVENT, cb: (data: unknown, ack?: unknown) => void): unknown;
  off(event: typeof RELAY_FRAME_EVENT, cb: (data: unknown, ack?: unknown) => void): unknown;
}

export interface RelayChannelOptions {
  /** Subscribes to the end of the socket (its 'disconnect'); the relay closes with it. */
  onSocketClose(cb: () => void): void;
  /** Ends the socket (the relay's close() ends the session, as a data channel's close does). */
  closeSocket(): void;
}

function asBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // Anything else (a string, a number) is no frame: an empty message, which the reassembler refuses.
  return new Uint8Array(0);
}

export function fromRelaySocket(socket: RelaySocketLike, opts: RelayChannelOptions): DataChannelLike {
  let unacknowledged = 0;
  let lowWaterMark = 0;
  let closed = false;
  let dataCb: ((d: Uint8Array) => void) | undefined;
  const lowCbs = new Set<() => void>();
  const closeCbs: (() => void)[] = [];

  const onFrame = (data: unknown, ack?: unknown) => {
    if (closed) return;
    // Acknowledge after the frame is handed on: reassembly is synchronous, so an acknowledged frame is one
    // this side has taken in (or refused).
    dataCb?.(asBytes(data));
    if (typeof ack === 'function') ack();
  };
  socket.on(RELAY_FRAME_EVENT, onFrame);
  const shutdown = () => {
    if (closed) return;
    closed = true;
    socket.off(RELAY_FRAME_EVENT, onFrame);
    lowCbs.clear();
    for (const cb of closeCbs.splice(0)) cb();
  };
  opts.onSocketClose(shutdown);

  return {
    send(data) {
      if (closed) throw new Error('relay closed');
      // The transport reuses its frame buffer: the socket must get its own copy.
      const copy = data.slice();
      unacknowledged += copy.byteLength;
      socket.emit(RELAY_FRAME_EVENT, copy, () => {
        unacknowledged -= copy.byteLength;
        if (unacknowledged <= lowWaterMark) for (const cb of [...lowCbs]) cb();
      });
    },
    get bufferedAmount() {
      return unacknowledged;
    },
    setLowWaterMark(bytes) {
      lowWaterMark = bytes;
    },
    onBufferedAmountLow(cb) {
      lowCbs.add(cb);
      return () => lowCbs.delete(cb);
    },
    onData(cb) {
      dataCb = cb;
    },
    onClose(cb) {
      if (closed) cb();
      else closeCbs.push(cb);
    },
    close() {
      shutdown();
      opts.closeSocket();
    },
  };
}
