// protocol/: the wire between the coordinator and its peers. Platform-free (no Node built-ins, no DOM).
export { PROTOCOL_VERSION, MessageType, messageSchema, encodeMessage, decodeMessage, isMessageOf } from './messages.ts';
export type { Message, MessageOf, MessageTypeName, DecodeResult, ModelConfigJson } from './messages.ts';
export { ProtocolError, isProtocolError, toProtocolError, type ProtocolErrorCode } from './errors.ts';
export { DEFAULT_LIMITS, resolveLimits, type ProtocolLimits } from './limits.ts';
export { crc32 } from './crc32.ts';
export * from './codecs/index.ts';
