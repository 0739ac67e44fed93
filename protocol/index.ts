// protocol/: the wire between the coordinator and its peers. Platform-free (no Node built-ins, no DOM).
export { PROTOCOL_VERSION, MessageType, messageSchema, encodeMessage, decodeMessage, isMessageOf } from './messages.ts';
export type { Message, MessageOf, MessageTypeName, DecodeResult, ModelConfigJson } from './messages.ts';
export { ProtocolError, isProtocolError, toProtocolError, type ProtocolErrorCode } from './errors.ts';
export { DEFAULT_LIMITS, resolveLimits, type ProtocolLimits } from './limits.ts';
export { crc32 } from '../common/crc32.ts';
export * from './codecs/index.ts';
export { FramedTransport, MessageTransport, type FramedTransportOptions, type MessageTransportOptions, type MessageEndpoint } from './transport.ts';
export { fromSimplePeer, fromRTCDataChannel, type DataChannelLike, type SimplePeerLike, type RTCDataChannelLike } from './channel.ts';
export { buildFrame, parseFrame, frameCount, Reassembler, MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from './framing.ts';
export { createMemoryChannelPair, type MemoryChannel, type MemoryChannelOptions } from './memory-channel.ts';
