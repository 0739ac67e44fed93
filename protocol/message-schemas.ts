// The message set: PROTOCOL_VERSION, the type enum (who sends what), one zod schema per type and the Message
// union derived from them. Encoding, decoding and the configurable limits live in messages.ts.
import { z } from 'zod';
import { CODEC_NAMES } from './codecs/names.ts';
import { ERROR_CODES } from './errors.ts';

export const PROTOCOL_VERSION = 1;

/** Every message type and who sends it. */
export const MessageType = {
  /** peer → coordinator (socket.io): first message; token, kind, backend, protocol version. */
  Join: 'join',
  /** coordinator → peer (socket.io): answer to join; peer id, model config, hyper-parameters, ICE servers. */
  Welcome: 'welcome',
  /** both ways (socket.io): one WebRTC SDP offer/answer or ICE candidate, as simple-peer emits it. */
  Signal: 'signal',
  /** peer → coordinator (socket.io): WebRTC cannot connect; carry the data channel's frames over this socket. */
  UseRelay: 'use-relay',
  /** peer → coordinator (data channel): the model state `version` is loaded; ready for assignments. */
  Ready: 'ready',
  /** coordinator → peer (data channel): full weights, or an update relative to `baseVersion`. */
  ModelState: 'model-state',
  /** coordinator → peer (data channel): batches to train on for one round. */
  Assignment: 'assignment',
  /** peer → coordinator (data channel): the encoded gradient or pseudo-gradient for an assignment. */
  Result: 'result',
  /** both ways (socket.io or data channel): liveness, optionally with the sender's stats. */
  Heartbeat: 'heartbeat',
  /** both ways: the sender is going away on purpose. */
  Leave: 'leave',
  /** both ways: a coded error; `fatal` means the sender closes the connection next. */
  Error: 'error',
} as const;

export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

/** Free text (names, reasons, error messages) is capped so a peer cannot make us log megabytes. */
/** The longest free text a message field may hold. */
export const MAX_TEXT = 2048;
/** The most ICE servers a welcome carries (coordinator settings accept no more). */
export const MAX_ICE_SERVERS = 16;
/** The most fields a welcome's model config may have (StlmConfig has 14): a peer reads no larger one. */
export const MAX_CONFIG_FIELDS = 64;

const uint = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const uint32 = z.int().min(0).max(0xffffffff);
const text = z.string().max(MAX_TEXT);
const shortText = z.string().max(128);
const nonNegative = z.number().min(0);
/** msgpackr hands out Node Buffers in Node; everyone downstream gets a plain Uint8Array view. */
const bytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected binary data' })
  .transform((b): Uint8Array => (b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));

const iceServer = z.object({
  urls: z.union([z.string().max(MAX_TEXT), z.array(z.string().max(MAX_TEXT)).min(1).max(MAX_ICE_SERVERS)]),
  username: z.string().max(MAX_TEXT).optional(),
  credential: z.string().max(MAX_TEXT).optional(),
});

/** A model config travels as a flat JSON object; the model validates its own fields. */
export type ModelConfigJson = Record<string, number | string | boolean>;

const joinSchema = z.object({
  type: z.literal('join'),
  protocolVersion: uint32,
  token: z.string().max(1024),
  kind: z.enum(['node', 'browser']),
  /** The tfjs backend the peer will train on ('wasm', 'webgpu', ...). */
  backend: shortText,
  name: shortText.optional(),
  capabilities: z
    .object({
      threads: z.int().min(1).max(1024),
      simd: z.boolean().optional(),
      memoryMB: nonNegative.optional(),
      /** The tab's backend check: one training step's milliseconds on each backend it ran. */
      backendStepMs: z.partialRecord(z.enum(['wasm', 'cpu', 'webgl', 'webgpu']), nonNegative).optional(),
    })
    .optional(),
});

const welcomeSchema = z.object({
  type: z.literal('welcome'),
  protocolVersion: uint32,
  peerId: shortText.min(1),
  runId: shortText.min(1),
  /** The model config (model/config.ts's StlmConfig as JSON). */
  config: z
    .record(z.string().max(128), z.union([z.number(), z.string().max(MAX_TEXT), z.boolean()]))
    .refine((c) => Object.keys(c).length <= MAX_CONFIG_FIELDS, `at most ${MAX_CONFIG_FIELDS} config fields`),
  /** Seed for the peer's model initialisation (weights arrive in model-state anyway). */
  seed: uint32,
  /** The gradient codec the peer must encode its results with. */
  codec: z.enum(CODEC_NAMES),
  /** 1 = one gradient per assignment; H > 1 = H local optimizer steps (DiLoCo pseudo-gradient). */
  localSteps: z.int().min(1).max(10_000),
  iceServers: z.array(iceServer).max(MAX_ICE_SERVERS),
  /** How often the peer sends heartbeats (0 = its default). */
  heartbeatMs: uint,
  /** Inner optimizer hyper-parameters for local steps (AdamW: beta1, beta2, eps, weightDecay, clipNorm). */
  innerOptimizer: z.record(z.string().max(128), z.number()),
  /** Present when the coordinator relays frames over the socket for peers WebRTC cannot reach: a peer on
   *  'auto' asks for the relay (use-relay) when its data channel is not open after `afterMs`. */
  relay: z.object({ afterMs: uint }).optional(),
});

const signalSchema = z.object({
  type: z.literal('signal'),
  /** simple-peer's SignalData as JSON; its encoded size is capped by `maxSignalBytes`. */
  data: z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array), {
    message: 'signal data must be a JSON object',
  }),
});

const useRelaySchema = z.object({
  type: z.literal('use-relay'),
  /** Why the peer gave up on WebRTC (shown in the coordinator's log). */
  reason: text,
});

const readySchema = z.object({
  type: z.literal('ready'),
  /** The model-state version now loaded. */
  version: uint,
  backend: shortText.optional(),
  /** Threads training the peer's model (worker threads of a Node peer, wasm threads of a tab). */
  threads: z.int().min(1).max(1024).optional(),
});

const modelStateSchema = z
  .object({
    type: z.literal('model-state'),
    version: uint,
    round: uint,
    /** 'full' (default): `weights` is the fp32 little-endian parameter vector. 'delta': a codec payload to add
     *  to the weights of `baseVersion`. */
    encoding: z.enum(['full', 'delta']).optional(),
    baseVersion: uint.optional(),
    weights: bytes,
  })
  .refine((m) => m.encoding !== 'delta' || m.baseVersion !== undefined, { message: 'a delta needs baseVersion' })
  .refine((m) => m.encoding === 'delta' || m.weights.byteLength % 4 === 0, {
    message: 'full weights must be a whole number of float32 values',
  });

const batchSchema = z.object({
  batchId: uint,
  /** UTF-8 training examples, each within the model's context. */
  examples: z.array(bytes),
});

const assignmentSchema = z.object({
  type: z.literal('assignment'),
  round: uint,
  /** The model version the peer must hold (and train) for this assignment. */
  version: uint,
  /** One batch per local step; with one local step, one batch per peer thread, all in one gradient. */
  batches: z.array(batchSchema).min(1),
  /** Learning rate of the peer's inner optimizer (local-steps mode). */
  lr: nonNegative,
  localSteps: z.int().min(1).max(10_000),
  /** Peers taking part in this round (for the peer's own share statistic). */
  roundPeers: uint,
});

const resultSchema = z.object({
  type: z.literal('result'),
  round: uint,
  version: uint,
  batchIds: z.array(uint).min(1),
  /** Mean cross-entropy per scored byte; NaN when nothing was scored. */
  loss: z.union([z.number(), z.nan()]),
  /** Scored bytes (the weight of this result in the average). */
  bytes: uint,
  /** A codec payload (protocol/codecs): its header carries the codec id and the vector length. */
  gradient: bytes,
  computeMs: nonNegative,
  encodeMs: nonNegative,
});

const heartbeatSchema = z.object({
  type: z.literal('heartbeat'),
  sentAt: nonNegative,
  stats: z.object({ bytesPerSecond: nonNegative.optional(), round: uint.optional() }).optional(),
});

const leaveSchema = z.object({ type: z.literal('leave'), reason: text });

const errorSchema = z.object({
  type: z.literal('error'),
  /** One of ERROR_CODES (errors.ts); an unknown one makes the whole message invalid. */
  code: z.enum(ERROR_CODES),
  message: text,
  fatal: z.boolean().optional(),
  /** A refused join that may succeed later: the peer waits at least this long before it tries again. */
  retryAfterMs: uint.optional(),
});

export const messageSchema = z.discriminatedUnion('type', [
  joinSchema,
  welcomeSchema,
  signalSchema,
  useRelaySchema,
  readySchema,
  modelStateSchema,
  assignmentSchema,
  resultSchema,
  heartbeatSchema,
  leaveSchema,
  errorSchema,
]);

export type Message = z.output<typeof messageSchema>;
export type MessageOf<T extends MessageTypeName> = Extract<Message, { type: T }>;

export function isMessageOf<T extends MessageTypeName>(msg: Message, type: T): msg is MessageOf<T> {
  return msg.type === type;
}

