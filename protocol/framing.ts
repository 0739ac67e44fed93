// Splitting messages into data-channel frames and putting them back together. Pure logic (no channel, no
// timers): the transport drives it. A frame is a 24-byte header and up to 64 KiB - 24 bytes of payload:
//   [0] magic 0x53 ('S')  [1] frame format version  [2..4) reserved, 0
//   [4..8) u32 message id  [8..12) u32 frame index  [12..16) u32 frame count  [16..20) u32 message length
//   [20..24) u32 CRC-32 of header bytes 0..20 followed by the payload
// All counters are 32-bit (disco's u16 id / u8 index capped a connection at 65,535 messages).
import { crc32 } from './crc32.ts';
import { ProtocolError } from './errors.ts';
import type { ProtocolLimits } from './limits.ts';

export const FRAME_MAGIC = 0x53;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 24;
/** The largest data-channel message every browser accepts. */
export const MAX_FRAME_BYTES = 64 * 1024;

export interface FrameHeader {
  messageId: number;
  index: number;
  count: number;
  totalLength: number;
}

/** Number of frames for a message of `length` bytes (an empty message still takes one frame). */
export function frameCount(length: number, frameBytes = MAX_FRAME_BYTES): number {
  return Math.max(1, Math.ceil(length / (frameBytes - FRAME_HEADER_BYTES)));
}

/** Builds frame `index` of `message` (a fresh buffer: the channel may keep it until sent). */
export function buildFrame(message: Uint8Array, messageId: number, index: number, frameBytes = MAX_FRAME_BYTES): Uint8Array {
  const cap = frameBytes - FRAME_HEADER_BYTES;
  const count = frameCount(message.byteLength, frameBytes);
  const start = index * cap;
  const chunk = message.subarray(start, Math.min(message.byteLength, start + cap));
  const frame = new Uint8Array(FRAME_HEADER_BYTES + chunk.byteLength);
  const dv = new DataView(frame.buffer);
  frame[0] = FRAME_MAGIC;
  frame[1] = FRAME_VERSION;
  dv.setUint32(4, messageId >>> 0, true);
  dv.setUint32(8, index, true);
  dv.setUint32(12, count, true);
  dv.setUint32(16, message.byteLength, true);
  frame.set(chunk, FRAME_HEADER_BYTES);
  dv.setUint32(20, frameCrc(frame), true);
  return frame;
}

function frameCrc(frame: Uint8Array): number {
  return crc32(frame.subarray(FRAME_HEADER_BYTES), crc32(frame.subarray(0, 20)));
}

/** Parses and checks one frame. Throws ProtocolError. */
export function parseFrame(frame: Uint8Array, maxMessageBytes: number): FrameHeader & { payload: Uint8Array } {
  if (frame.byteLength < FRAME_HEADER_BYTES) throw new ProtocolError('MALFORMED', `frame of ${frame.byteLength} bytes is shorter than its header`);
  if (frame.byteLength > MAX_FRAME_BYTES) throw new ProtocolError('TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  if (frame[0] !== FRAME_MAGIC) throw new ProtocolError('MALFORMED', 'not a protocol frame (bad magic)');
  if (frame[1] !== FRAME_VERSION) throw new ProtocolError('BAD_VERSION', `frame format ${frame[1]}, expected ${FRAME_VERSION}`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (dv.getUint32(20, true) !== frameCrc(frame)) throw new ProtocolError('CHECKSUM', 'frame fails its CRC-32');
  const h: FrameHeader = {
    messageId: dv.getUint32(4, true),
    index: dv.getUint32(8, true),
    count: dv.getUint32(12, true),
    totalLength: dv.getUint32(16, true),
  };
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  if (h.totalLength > maxMessageBytes) throw new ProtocolError('TOO_LARGE', `message of ${h.totalLength} bytes exceeds ${maxMessageBytes}`);
  if (h.count === 0 || h.index >= h.count) throw new ProtocolError('MALFORMED', `frame ${h.index} of ${h.count}`);
  // Every frame but an empty message's carries at least one byte, and none more than a frame holds.
  if (h.count > Math.max(1, h.totalLength) || h.totalLength > h.count * (MAX_FRAME_BYTES - FRAME_HEADER_BYTES)) {
    throw new ProtocolError('MALFORMED', `${h.count} frames cannot carry ${h.totalLength} bytes`);
  }
  if (payload.byteLength > h.totalLength) throw new ProtocolError('MALFORMED', 'frame payload longer than its message');
  return { ...h, payload };
}

interface Partial {
  count: number;
  totalLength: number;
  chunks: (Uint8Array | undefined)[];
  received: number;
  receivedBytes: number;
  lastSeen: number;
}

export type ReassemblyResult = { message?: Uint8Array; error?: ProtocolError };

/**
 * Collects frames into messages. Frames of different messages may interleave. Memory is bounded: at most
 * `maxPartialMessages` partial messages, whose announced lengths together stay within `maxReassemblyBytes`.
 */
export class Reassembler {
  private readonly partials = new Map<number, Partial>();
  private reservedBytes = 0;

  constructor(private readonly limits: Pick<ProtocolLimits, 'maxMessageBytes' | 'maxPartialMessages' | 'maxReassemblyBytes' | 'partialTimeoutMs'>) {}

  get partialCount(): number {
    return this.partials.size;
  }

  get bufferedBytes(): number {
    return this.reservedBytes;
  }

  /** Feeds one frame. Returns a complete message, an error (that frame's message is dropped), or neither. */
  push(frame: Uint8Array, now: number): ReassemblyResult {
    let f: ReturnType<typeof parseFrame>;
    try {
      f = parseFrame(frame, this.limits.maxMessageBytes);
    } catch (e) {
      return { error: e as ProtocolError };
    }
    if (f.count === 1) {
      if (f.payload.byteLength !== f.totalLength) return { error: new ProtocolError('MALFORMED', 'single frame shorter than its message') };
      return { message: f.payload };
    }
    let p = this.partials.get(f.messageId);
    if (!p) {
      if (this.partials.size >= this.limits.maxPartialMessages) {
        return { error: new ProtocolError('OVERLOADED', `more than ${this.limits.maxPartialMessages} partial messages in flight`) };
      }
      if (this.reservedBytes + f.totalLength > this.limits.maxReassemblyBytes) {
        return { error: new ProtocolError('OVERLOADED', `reassembly would hold more than ${this.limits.maxReassemblyBytes} bytes`) };
      }
      p = { count: f.count, totalLength: f.totalLength, chunks: new Array(f.count), received: 0, receivedBytes: 0, lastSeen: now };
      this.partials.set(f.messageId, p);
      this.reservedBytes += f.totalLength;
    }
    const drop = (msg: string): ReassemblyResult => {
      this.remove(f.messageId);
      return { error: new ProtocolError('MALFORMED', `message ${f.messageId}: ${msg}`) };
    };
    if (p.count !== f.count || p.totalLength !== f.totalLength) return drop('frames disagree on count or length');
    if (p.chunks[f.index]) return drop(`frame ${f.index} received twice`);
    if (p.receivedBytes + f.payload.byteLength > p.totalLength) return drop('more bytes than announced');
    // Copy: the frame buffer belongs to the channel, and a view would pin the whole frame anyway.
    p.chunks[f.index] = f.payload.slice();
    p.received++;
    p.receivedBytes += f.payload.byteLength;
    p.lastSeen = now;
    if (p.received < p.count) return {};
    this.remove(f.messageId);
    if (p.receivedBytes !== p.totalLength) return { error: new ProtocolError('MALFORMED', `message ${f.messageId}: length mismatch`) };
    const out = new Uint8Array(p.totalLength);
    let at = 0;
    for (const c of p.chunks) {
      out.set(c!, at);
      at += c!.byteLength;
    }
    return { message: out };
  }

  /** Drops partial messages with no frame for `partialTimeoutMs`; returns one TIMEOUT error per dropped message. */
  expire(now: number): ProtocolError[] {
    const errors: ProtocolError[] = [];
    for (const [id, p] of this.partials) {
      if (now - p.lastSeen >= this.limits.partialTimeoutMs) {
        this.remove(id);
        errors.push(new ProtocolError('TIMEOUT', `message ${id} stalled at frame ${p.received} of ${p.count}; dropped`));
      }
    }
    return errors;
  }

  clear(): void {
    this.partials.clear();
    this.reservedBytes = 0;
  }

  private remove(id: number): void {
    const p = this.partials.get(id);
    if (!p) return;
    this.partials.delete(id);
    this.reservedBytes -= p.totalLength;
  }
}
