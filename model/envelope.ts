// The one container of the project's binary files: the dense weights file (weights-file.ts, "STLW"), the
// consolidated model (compress/format.ts, "STLQ") and the optimizer state (coordinator/optimizer/optimizer-file.ts,
// "STLO"). Each format keeps its own magic, version, header fields and payload; the envelope writes and checks
// the frame around them. Layout (little-endian):
//   0  magic: 4 ASCII bytes
//   4  u32 format version
//   8  u32 header length H
//  12  H bytes of UTF-8 JSON: the format's header
//      zero padding to a multiple of `align` (4: weights and optimizer, whose payload is float32; 1: none)
//   .  the payload
//   .  u32 CRC-32 (common/crc32.ts) of every byte before it
// Platform-free: no Node built-ins, no DOM.
import { crc32 } from '../common/crc32.ts';

export interface EnvelopeFormat {
  /** 4 ASCII characters at offset 0. */
  magic: string;
  /** The version written; files of versions 1..version are read. */
  version: number;
  /** Prefix of every error: 'weights file'. */
  name: string;
  /** What the magic stands for, in the bad-magic error: 'an STLM weights file'. */
  what: string;
  /** The payload starts at a multiple of this many bytes from the file's start. */
  align: 1 | 4;
}

export type EnvelopeErrorCode = 'NOT_BYTES' | 'TRUNCATED' | 'BAD_MAGIC' | 'BAD_VERSION' | 'BAD_HEADER' | 'TRAILING_BYTES' | 'CHECKSUM';

/** A file the envelope refuses. The message starts with the format's name; `code` says what was wrong. */
export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

export interface Envelope {
  version: number;
  /** The parsed header JSON, unchecked: the format validates its own fields. */
  header: unknown;
  /** The payload bytes (a view into the file). */
  payload: Uint8Array;
  /** A DataView over exactly `payload`. */
  view: DataView;
}

export interface DecodeEnvelopeOptions {
  /** Passed to JSON.parse for the header. */
  reviver?: (key: string, value: unknown) => unknown;
  /**
   * The payload's byte length as the header states it (throw to refuse the header). With it, a short or long
   * file is refused as truncated or as having trailing bytes, and the CRC is checked after the header is read.
   * Without it the payload is everything up to the CRC, and the CRC is checked before anything else is read.
   */
  payloadLength?: (header: unknown) => number;
}

const FIXED = 12;
const CRC_BYTES = 4;

/** Magic, version, header and an empty payload of `payloadLength` bytes that `writePayload` fills in; then the CRC. */
export function encodeEnvelope(
  format: EnvelopeFormat,
  headerJson: string,
  payloadLength: number,
  writePayload: (payload: Uint8Array, view: DataView) => void,
): Uint8Array {
  const header = new TextEncoder().encode(headerJson);
  const start = alignUp(FIXED + header.length, format.align);
  const total = start + payloadLength + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = format.magic.charCodeAt(i);
  view.setUint32(4, format.version, true);
  view.setUint32(8, header.length, true);
  out.set(header, FIXED);
  const payload = out.subarray(start, start + payloadLength);
  writePayload(payload, new DataView(out.buffer, start, payloadLength));
  view.setUint32(total - CRC_BYTES, crc32(out.subarray(0, total - CRC_BYTES)), true);
  return out;
}

/** Checks the frame of a file and returns its header and payload; throws EnvelopeError for anything wrong. */
export function decodeEnvelope(format: EnvelopeFormat, bytes: Uint8Array, opts: DecodeEnvelopeOptions = {}): Envelope {
  const fail = (code: EnvelopeErrorCode, what: string) => new EnvelopeError(code, `${format.name}: ${what}`);
  if (!(bytes instanceof Uint8Array)) throw fail('NOT_BYTES', 'expected bytes (Uint8Array)');
  if (bytes.length < FIXED + CRC_BYTES) throw fail('TRUNCATED', `truncated (${bytes.length} bytes)`);
  const magic = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (magic !== format.magic) throw fail('BAD_MAGIC', `bad magic "${magic}", not ${format.what}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const checkCrc = (total: number, what: string) => {
    if (crc32(bytes.subarray(0, total - CRC_BYTES)) !== view.getUint32(total - CRC_BYTES, true)) throw fail('CHECKSUM', what);
  };
  // A payload that runs to the CRC: the checksum first, so a truncated or corrupt file is never half-read.
  if (!opts.payloadLength) checkCrc(bytes.length, 'checksum mismatch (truncated or corrupt)');
  const version = view.getUint32(4, true);
  if (version > format.version) {
    throw fail('BAD_VERSION', `format version ${version} is newer than this program reads (${format.version}); upgrade stlm-swarm to load it`);
  }
  if (version < 1) throw fail('BAD_VERSION', `bad format version ${version}`);
  const headerLength = view.getUint32(8, true);
  if (FIXED + headerLength + CRC_BYTES > bytes.length) throw fail('TRUNCATED', `truncated inside the header (${bytes.length} bytes)`);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED, FIXED + headerLength));
    header = JSON.parse(text, opts.reviver);
  } catch (e) {
    throw fail('BAD_HEADER', `header is not valid JSON, the file is corrupt (${(e as Error).message})`);
  }
  const start = alignUp(FIXED + headerLength, format.align);
  let end = bytes.length - CRC_BYTES;
  if (opts.payloadLength) {
    const length = opts.payloadLength(header);
    if (!Number.isSafeInteger(length) || length < 0) throw fail('BAD_HEADER', `header gives a bad payload length (${length})`);
    const total = start + length + CRC_BYTES;
    if (bytes.length < total) throw fail('TRUNCATED', `truncated (${bytes.length} of ${total} bytes)`);
    if (bytes.length > total) throw fail('TRAILING_BYTES', `${bytes.length - total} unexpected bytes after the end`);
    checkCrc(total, 'checksum mismatch, the file is corrupt');
    end = total - CRC_BYTES;
  } else if (start > end) {
    throw fail('TRUNCATED', `truncated inside the header (${bytes.length} bytes)`);
  }
  const payload = bytes.subarray(start, end);
  return { version, header, payload, view: new DataView(payload.buffer, payload.byteOffset, payload.byteLength) };
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
