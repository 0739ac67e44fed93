// Splitting messages into data-channel frames and putting them back together. Pure logic (no channel, no
// timers): the transport drives it. A frame is a 24-byte header and up to 64 KiB - 24 bytes of payload:
//   [0] magic 0x53 ('S')  [1] frame format version  [2..4) u16 chunk size P: every frame but the last carries
//   exactly P payload bytes, so frame i lands at offset i * P and reassembly copies each byte once
//   [4..8) u32 message id  [8..12) u32 frame index  [12..16) u32 frame count  [16..20) u32 message length
//   [20..24) u32 CRC-32 of header bytes 0..20 followed by the payload
// All counters are 32-bit (disco's u16 id / u8 index capped a connection at 65,535 messages).
import { crc32 } from '../common/crc32.ts';
import { ProtocolError } from './errors.ts';
import { DEFAULT_PARTIAL_MIN_BYTES_PER_SEC, type ProtocolLimits } from './limits.ts';

export const FRAME_MAGIC = 0x53;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 24;
/** The largest data-channel message every browser accepts. */
export const MAX_FRAME_BYTES = 64 * 1024;

export interface FrameHeader {
  chunkSize: number;
  messageId: number;
  index: number;
  count: number;
  totalLength: number;
}

/** Number of frames for a message of `length` bytes (an empty message still takes one frame). */
export function frameCount(length: number, frameBytes = MAX_FRAME_BYTES): number {
  return Math.max(1, Math.ceil(length / (frameBytes - FRAME_HEADER_BYTES)));
}

/**
 * Builds frame `index` of `message`. Into `scratch` (at least `frameBytes` long) if given, which the caller
 * may reuse once the channel's send() has returned (RTCDataChannel.send copies); else into a fresh buffer.
 */
export function buildFrame(
  message: Uint8Array,
  messageId: number,
  index: number,
  frameBytes = MAX_FRAME_BYTES,
  scratch?: Uint8Array,
): Uint8Array {
  const cap = frameBytes - FRAME_HEADER_BYTES;
  const count = frameCount(message.byteLength, frameBytes);
  const start = index * cap;
  const chunk = message.subarray(start, Math.min(message.byteLength, start + cap));
  const size = FRAME_HEADER_BYTES + chunk.byteLength;
  const frame = scratch ? scratch.subarray(0, size) : new Uint8Array(size);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  frame[0] = FRAME_MAGIC;
  frame[1] = FRAME_VERSION;
  dv.setUint16(2, cap, true);
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
    chunkSize: dv.getUint16(2, true),
    messageId: dv.getUint32(4, true),
    index: dv.getUint32(8, true),
    count: dv.getUint32(12, true),
    totalLength: dv.getUint32(16, true),
  };
  const payload = frame.subarray(FRAME_HEADER_BYTES);
  if (h.totalLength > maxMessageBytes) throw new ProtocolError('TOO_LARGE', `message of ${h.totalLength} bytes exceeds ${maxMessageBytes}`);
  if (h.count === 0 || h.index >= h.count) throw new ProtocolError('MALFORMED', `frame ${h.index} of ${h.count}`);
  if (h.chunkSize === 0 || h.chunkSize > MAX_FRAME_BYTES - FRAME_HEADER_BYTES) {
    throw new ProtocolError('MALFORMED', `chunk size ${h.chunkSize}`);
  }
  if (h.count !== Math.max(1, Math.ceil(h.totalLength / h.chunkSize))) {
    throw new ProtocolError('MALFORMED', `${h.count} frames of ${h.chunkSize} bytes cannot carry ${h.totalLength} bytes`);
  }
  const expected = h.index < h.count - 1 ? h.chunkSize : h.totalLength - (h.count - 1) * h.chunkSize;
  if (payload.byteLength !== expected) {
    throw new ProtocolError('MALFORMED', `frame ${h.index} carries ${payload.byteLength} bytes, expected ${expected}`);
  }
  return { ...h, payload };
}

interface Partial {
  count: number;
  chunkSize: number;
  totalLength: number;
  /** The whole message, allocated at its first frame (its length is already counted against the limits). */
  data: Uint8Array;
  seen: Uint8Array;
  received: number;
  /** Dropped at this time unless complete: counted from the FIRST frame, so a trickle of frames cannot keep a
   *  partial alive (a fixed allowance plus the time the whole message needs at the slowest accepted rate). */
  deadline: number;
}

export type ReassemblyResult = { message?: Uint8Array; error?: ProtocolError };

/**
 * Collects frames into messages. Frames of different messages may interleave. Memory is bounded: at most
 * `maxPartialMessages` partial messages, whose announced lengths together stay within `maxReassemblyBytes`.
 */
export class Reassembler {
  private readonly partials = new Map<number, Partial>();
  private reservedBytes = 0;

  constructor(
    private readonly limits: Pick<ProtocolLimits, 'maxMessageBytes' | 'maxPartialMessages' | 'maxReassemblyBytes' | 'partialTimeoutMs'> &
      { partialMinBytesPerSec?: number },
  ) {}

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
    if (f.count === 1) return { message: f.payload };
    let p = this.partials.get(f.messageId);
    if (!p) {
      if (this.partials.size >= this.limits.maxPartialMessages) {
        return { error: new ProtocolError('OVERLOADED', `more than ${this.limits.maxPartialMessages} partial messages in flight`) };
      }
      if (this.reservedBytes + f.totalLength > this.limits.maxReassemblyBytes) {
        return { error: new ProtocolError('OVERLOADED', `reassembly would hold more than ${this.limits.maxReassemblyBytes} bytes`) };
      }
      p = {
        count: f.count, chunkSize: f.chunkSize, totalLength: f.totalLength, data: new Uint8Array(f.totalLength),
        seen: new Uint8Array(f.count), received: 0, deadline: now + this.allowanceMs(f.totalLength),
      };
      this.partials.set(f.messageId, p);
      this.reservedBytes += f.totalLength;
    }
    const drop = (msg: string): ReassemblyResult => {
      this.remove(f.messageId);
      return { error: new ProtocolError('MALFORMED', `message ${f.messageId}: ${msg}`) };
    };
    if (p.count !== f.count || p.totalLength !== f.totalLength || p.chunkSize !== f.chunkSize) {
      return drop('frames disagree on count, chunk size or length');
    }
    if (p.seen[f.index]) return drop(`frame ${f.index} received twice`);
    // parseFrame checked that this payload fits exactly at its offset.
    p.data.set(f.payload, f.index * p.chunkSize);
    p.seen[f.index] = 1;
    p.received++;
    if (p.received < p.count) return {};
    this.remove(f.messageId);
    return { message: p.data };
  }

  /** How long a message of `totalLength` bytes may take from its first frame to its last. */
  allowanceMs(totalLength: number): number {
    const rate = this.limits.partialMinBytesPerSec ?? DEFAULT_PARTIAL_MIN_BYTES_PER_SEC;
    return this.limits.partialTimeoutMs + Math.ceil((totalLength * 1000) / rate);
  }

  /** Drops partial messages not complete by their deadline (see allowanceMs); one TIMEOUT error per dropped message. */
  expire(now: number): ProtocolError[] {
    const errors: ProtocolError[] = [];
    for (const [id, p] of this.partials) {
      if (now >= p.deadline) {
        this.remove(id);
        errors.push(new ProtocolError('TIMEOUT', `message ${id} incomplete at its deadline (frame ${p.received} of ${p.count}); dropped`));
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
