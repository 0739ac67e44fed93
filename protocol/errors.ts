// Every way a protocol operation can fail, as one typed error with a code. Decoders return these instead of
// throwing, so bad bytes from the network become a value the caller can log, count and answer.

export type ProtocolErrorCode =
  /** Bytes that are not msgpack / not a frame at all. */
  | 'MALFORMED'
  /** A message, frame or field over its limit. */
  | 'TOO_LARGE'
  /** A frame or message from another protocol version. */
  | 'BAD_VERSION'
  /** Well-formed but fails validation (unknown type, wrong field types, out-of-range values). */
  | 'INVALID'
  /** A frame whose CRC32 does not match its bytes. */
  | 'CHECKSUM'
  /** A partial message that stalled and was dropped. */
  | 'TIMEOUT'
  /** A gradient payload with an unknown codec id or a corrupt codec header. */
  | 'BAD_CODEC'
  /** NaN or ±Infinity where only finite numbers are allowed. */
  | 'NON_FINITE'
  /** A vector whose length is not the one expected (e.g. the model's parameter count). */
  | 'LENGTH_MISMATCH'
  /** Too many partial messages in flight, or reassembly memory exhausted. */
  | 'OVERLOADED'
  /** The transport was closed. */
  | 'CLOSED';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isProtocolError(e: unknown): e is ProtocolError {
  return e instanceof ProtocolError;
}

/** Any thrown value as a ProtocolError (a non-protocol exception becomes `fallback`). */
export function toProtocolError(e: unknown, fallback: ProtocolErrorCode = 'MALFORMED'): ProtocolError {
  if (e instanceof ProtocolError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ProtocolError(fallback, message);
}
