// Every error code in the system, in one place. Two kinds:
//  - ProtocolErrorCode: how a protocol operation failed (decoding, framing, codecs). Decoders return these
//    instead of throwing, so bad bytes from the network become a value the caller can log, count and answer.
//  - ErrorCode: everything an `error` message may carry on the wire (the ProtocolErrorCodes included: the
//    coordinator refuses an invalid message with the decoder's code), plus a peer's own connection failures.
// The wire checks `error.code` against ERROR_CODES: a code the receiver does not know makes that message
// invalid, handled as any invalid message. So a new code is a wire change, like a new field (PROTOCOL_VERSION).

export const PROTOCOL_ERROR_CODES = [
  /** Bytes that are not msgpack / not a frame at all. */
  'MALFORMED',
  /** A message, frame or field over its limit. */
  'TOO_LARGE',
  /** A frame or message from another protocol version. */
  'BAD_VERSION',
  /** Well-formed but fails validation (unknown type, wrong field types, out-of-range values). */
  'INVALID',
  /** A frame whose CRC32 does not match its bytes. */
  'CHECKSUM',
  /** A partial message that stalled and was dropped. */
  'TIMEOUT',
  /** A gradient payload with an unknown codec id or a corrupt codec header. */
  'BAD_CODEC',
  /** NaN or ±Infinity where only finite numbers are allowed. */
  'NON_FINITE',
  /** A vector whose length is not the one expected (e.g. the model's parameter count). */
  'LENGTH_MISMATCH',
  /** Too many partial messages in flight, or reassembly memory exhausted. */
  'OVERLOADED',
  /** The transport was closed. */
  'CLOSED',
] as const;

export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export const ERROR_CODES = [
  // The coordinator refusing a peer (fatal: the session ends).
  /** Wrong or missing join token. Retrying cannot help: the Node peer stops, the page says so. */
  'ERR_TOKEN',
  /** The join announced another PROTOCOL_VERSION. Never renamed: it is how every version is refused. */
  'ERR_PROTOCOL_VERSION',
  /** No join message in time after the socket connected. */
  'ERR_JOIN_TIMEOUT',
  /** The first message was not a join. */
  'ERR_NOT_JOINED',
  /** Not a binary protocol message on the socket (coordinator); an invalid message before welcome (peer). */
  'ERR_BAD_MESSAGE',
  /** A message type not allowed where it arrived (e.g. a result on the signaling socket). */
  'ERR_UNEXPECTED',
  /** The WebRTC data channel did not open in time (--data-channel-timeout). */
  'ERR_DATA_CHANNEL_TIMEOUT',
  /** The peer asked for the socket relay (use-relay) and the coordinator runs with --no-relay. */
  'ERR_RELAY_DISABLED',
  /** No message from the peer for the heartbeat timeout while it owed no result. */
  'ERR_HEARTBEAT_TIMEOUT',
  /** A result was not used (non-fatal); fatal once too many are rejected in a row. */
  'ERR_RESULT_REJECTED',
  // Admission (coordinator/peers/admission.ts): a join refused before the peer gets a slot. The error carries
  // `retryAfterMs` where waiting helps; the peer backs off at least that long.
  /** The coordinator serves --max-peers peers already. */
  'ERR_FULL',
  /** This address has --max-peers-per-address peers connected already. */
  'ERR_ADDRESS_LIMIT',
  /** Joins arrive faster than the per-address or overall join rate allows. */
  'ERR_RATE_LIMITED',
  /** A peer from this address with this token was dropped for misbehaviour recently; a new peer id does not reset it. */
  'ERR_BACKOFF',
  /** Signaling out of bounds: too many or too fast signal messages, an oversized SDP, renegotiation. */
  'ERR_SIGNALING',
  /** The coordinator's model does not fit what this peer can hold (the peer refuses; retrying cannot help). */
  'ERR_MODEL_TOO_LARGE',
  /** The peer did not take what was sent to it: its outgoing queue passed its bound, or made no progress for too long. */
  'ERR_TOO_SLOW',
  // WebRTC failures, raised on either side before the data channel opens.
  /** simple-peer reported an error. */
  'ERR_WEBRTC',
  /** A signal simple-peer could not use. */
  'ERR_BAD_SIGNAL',
  /** The WebRTC connection closed before (or while) opening. */
  'ERR_CLOSED',
  // A peer telling the coordinator it could not finish an assignment (non-fatal).
  /** Training produced NaN or ±Infinity; the peer sends no result and its batches go back. */
  'ERR_NON_FINITE_GRADIENT',
  // A peer's own connection failures (peer/core/connect.ts); never sent.
  /** Not connected within the connect timeout. */
  'ERR_TIMEOUT',
  /** The coordinator's socket could not be reached. */
  'ERR_CONNECT',
  /** The coordinator's socket closed before the data channel opened. */
  'ERR_DISCONNECTED',
  ...PROTOCOL_ERROR_CODES,
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

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
