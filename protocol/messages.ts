// The messages between the coordinator and its peers: one msgpack encoding for socket.io (event 'msg') and
// for the WebRTC data channel. Every decoded message is validated (zod schema, then the configurable
// limits) before anyone sees it; `decodeMessage` never throws, whatever the bytes.
import type { z } from 'zod';
import { Packr, Unpackr } from 'msgpackr';
import { ProtocolError } from './errors.ts';
import { resolveLimits, type ProtocolLimits } from './limits.ts';
import { readCodecHeader } from './codecs/header.ts';
import { messageSchema, type Message, type MessageTypeName } from './message-schemas.ts';

export {
  PROTOCOL_VERSION,
  MessageType,
  messageSchema,
  isMessageOf,
  type Message,
  type MessageOf,
  type MessageTypeName,
  type ModelConfigJson,
} from './message-schemas.ts';

export type DecodeResult = { ok: true; message: Message } | { ok: false; error: ProtocolError };

// Plain msgpack: no msgpackr records/structures (both ends need no shared state, and untrusted input cannot
// define structures), maps decode to objects (msgpackr renames a `__proto__` key, so no prototype pollution).
const packr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: false, int64AsType: 'number' });

/** Encodes a message. Throws ProtocolError ('INVALID' or 'TOO_LARGE') if it would be rejected on arrival. */
export function encodeMessage(msg: Message, limits?: Partial<ProtocolLimits>): Uint8Array {
  const lim = resolveLimits(limits);
  const parsed = messageSchema.safeParse(msg);
  if (!parsed.success) throw new ProtocolError('INVALID', `cannot encode ${describe(msg)}: ${zodSummary(parsed.error)}`);
  const limitError = checkLimits(parsed.data, lim);
  if (limitError) throw limitError;
  const b = packr.pack(msg) as Uint8Array;
  const out = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const sizeError = checkSize(msg.type, out.byteLength, lim);
  if (sizeError) throw sizeError;
  return out;
}

/** Decodes and validates one message. Never throws: bad input gives `{ ok: false, error }`. */
export function decodeMessage(bytes: Uint8Array, limits?: Partial<ProtocolLimits>): DecodeResult {
  try {
    const lim = resolveLimits(limits);
    if (!(bytes instanceof Uint8Array)) return fail('MALFORMED', 'message must be a Uint8Array');
    if (bytes.byteLength > lim.maxMessageBytes) {
      return fail('TOO_LARGE', `message of ${bytes.byteLength} bytes exceeds the limit of ${lim.maxMessageBytes}`);
    }
    if (bytes.byteLength === 0) return fail('MALFORMED', 'empty message');
    let raw: unknown;
    try {
      raw = unpackr.unpack(bytes);
    } catch (e) {
      return fail('MALFORMED', `not a msgpack value: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype) {
      return fail('MALFORMED', 'message is not a msgpack map');
    }
    const parsed = messageSchema.safeParse(raw);
    if (!parsed.success) return fail('INVALID', `${describe(raw)}: ${zodSummary(parsed.error)}`);
    const msg = parsed.data;
    const sizeError = checkSize(msg.type, bytes.byteLength, lim);
    if (sizeError) return { ok: false, error: sizeError };
    const limitError = checkLimits(msg, lim);
    if (limitError) return { ok: false, error: limitError };
    return { ok: true, message: msg };
  } catch (e) {
    // Nothing above should throw; if it does (a library bug, a stack overflow on a deep map), it is still
    // the sender's bytes that caused it.
    return fail('MALFORMED', `undecodable message: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function fail(code: ProtocolError['code'], message: string): DecodeResult {
  return { ok: false, error: new ProtocolError(code, message) };
}

function checkSize(type: MessageTypeName, size: number, lim: ProtocolLimits): ProtocolError | undefined {
  if (size > lim.maxMessageBytes) return new ProtocolError('TOO_LARGE', `${type} of ${size} bytes exceeds ${lim.maxMessageBytes}`);
  if (type === 'signal' && size > lim.maxSignalBytes) {
    return new ProtocolError('TOO_LARGE', `signal of ${size} bytes exceeds ${lim.maxSignalBytes}`);
  }
  return undefined;
}

/** The checks that depend on configurable limits (zod holds the fixed ones). */
function checkLimits(msg: Message, lim: ProtocolLimits): ProtocolError | undefined {
  switch (msg.type) {
    case 'assignment': {
      if (msg.batches.length > lim.maxBatchesPerAssignment) {
        return new ProtocolError('TOO_LARGE', `${msg.batches.length} batches exceed ${lim.maxBatchesPerAssignment}`);
      }
      let examples = 0;
      for (const b of msg.batches) {
        examples += b.examples.length;
        for (const ex of b.examples) {
          if (ex.byteLength > lim.maxExampleBytes) {
            return new ProtocolError('TOO_LARGE', `an example of ${ex.byteLength} bytes exceeds ${lim.maxExampleBytes}`);
          }
        }
      }
      if (examples > lim.maxExamplesPerAssignment) {
        return new ProtocolError('TOO_LARGE', `${examples} examples exceed ${lim.maxExamplesPerAssignment}`);
      }
      return undefined;
    }
    case 'model-state':
      if (lim.expectedParams !== undefined && msg.encoding !== 'delta' && msg.weights.byteLength !== lim.expectedParams * 4) {
        return new ProtocolError(
          'LENGTH_MISMATCH',
          `model state has ${msg.weights.byteLength / 4} parameters, expected ${lim.expectedParams}`,
        );
      }
      return undefined;
    case 'result': {
      // One batch per local step, or one per thread: never more than an assignment may hold.
      if (msg.batchIds.length > lim.maxBatchesPerAssignment) {
        return new ProtocolError('TOO_LARGE', `${msg.batchIds.length} batch ids exceed ${lim.maxBatchesPerAssignment}`);
      }
      if (lim.expectedParams === undefined) return undefined;
      const header = readCodecHeader(msg.gradient);
      if (!header.ok) return header.error;
      if (header.length !== lim.expectedParams) {
        return new ProtocolError('LENGTH_MISMATCH', `gradient has ${header.length} values, expected ${lim.expectedParams}`);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function describe(raw: unknown): string {
  const t = typeof raw === 'object' && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? `"${t.slice(0, 32)}" message` : 'message';
}

function zodSummary(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}
