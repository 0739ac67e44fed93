// Joins a coordinator: socket.io handshake (token + protocol version), WebRTC signaling, then a framed
// message transport over the data channel. The platform pieces are arguments: a browser passes its
// `io` and `SimplePeer` globals, Node passes socket.io-client, simple-peer and @roamhq/wrtc.
import type SimplePeer from 'simple-peer';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type MessageOf } from '../../protocol/messages.ts';
import { MessageTransport, fromSimplePeer } from '../../protocol/transport.ts';
import { peerLimitsForConfig } from '../../protocol/model-limits.ts';
import type { ProtocolLimits } from '../../protocol/limits.ts';
import type { ErrorCode } from '../../protocol/errors.ts';

/** The part of a socket.io-client socket this module uses. */
export interface SocketLike {
  on(event: 'connect', cb: () => void): unknown;
  on(event: 'disconnect', cb: (reason: string) => void): unknown;
  on(event: 'connect_error', cb: (err: Error) => void): unknown;
  on(event: 'msg', cb: (data: unknown) => void): unknown;
  emit(event: 'msg', data: Uint8Array): unknown;
  disconnect(): unknown;
}

export type IoLike = (url: string, opts: Record<string, unknown>) => SocketLike;
export type SimplePeerLike = new (opts: SimplePeer.Options) => SimplePeer.Instance;

export interface ConnectOptions {
  url: string;
  token: string;
  peerKind: 'node' | 'browser';
  backend: string;
  /** Threads the peer will train with, announced in join's capabilities. */
  threads?: number;
  /** The backend check's training step time per backend (a tab's), announced in join's capabilities. */
  backendStepMs?: Partial<Record<string, number>>;
  io: IoLike;
  SimplePeer: SimplePeerLike;
  /** Node only: @roamhq/wrtc. Browsers have WebRTC built in. */
  wrtc?: SimplePeer.Options['wrtc'];
  /** Gives up if the data channel is not open after this long. */
  timeoutMs?: number;
  /** Overrides the protocol version sent (tests of the coordinator's refusal only). */
  protocolVersion?: number;
}

export interface CoordinatorConnection {
  welcome: MessageOf<'welcome'>;
  transport: MessageTransport;
  /** The underlying simple-peer connection (tests use it to put raw bytes on the channel). */
  peer: SimplePeer.Instance;
  /** Resolves once, when the data channel or the socket closes, with the reason. */
  closed: Promise<string>;
  close(): void;
}

/** A refusal or failure with the coordinator's (or our) error code, e.g. ERR_TOKEN, ERR_PROTOCOL_VERSION. */
export class ConnectError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

export function connectToCoordinator(opts: ConnectOptions): Promise<CoordinatorConnection> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<CoordinatorConnection>((resolve, reject) => {
    const socket = opts.io(opts.url, { transports: ['websocket'], reconnection: false, forceNew: true });
    let peer: SimplePeer.Instance | undefined;
    let connection: CoordinatorConnection | undefined;
    let closeReason: ((r: string) => void) | undefined;
    const closed = new Promise<string>((r) => (closeReason = r));
    let done = false;
    const teardown = (reason: string) => {
      // Resolve first: destroying the peer and the socket below re-enters fail() with a vaguer reason.
      const settle = closeReason;
      closeReason = undefined;
      settle?.(reason);
      clearTimeout(timer);
      peer?.destroy();
      socket.disconnect();
    };
    const fail = (err: ConnectError) => {
      if (done) return teardown(`${err.code}: ${err.message}`);
      done = true;
      teardown(`${err.code}: ${err.message}`);
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new ConnectError('ERR_TIMEOUT', `not connected to ${opts.url} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const send = (msg: Message) => socket.emit('msg', encodeMessage(msg));

    socket.on('connect', () => send(joinMessage(opts)));
    socket.on('connect_error', (err) => fail(new ConnectError('ERR_CONNECT', `cannot reach ${opts.url}: ${err.message}`)));
    socket.on('disconnect', (reason) => fail(new ConnectError('ERR_DISCONNECTED', `coordinator socket closed: ${reason}`)));
    socket.on('msg', (data) => {
      const msg = socketMessage(data);
      if (!msg) return fail(new ConnectError('ERR_BAD_MESSAGE', 'invalid message from the coordinator'));
      switch (msg.type) {
        case 'error':
          return fail(new ConnectError(msg.code, msg.message));
        case 'welcome':
          return startWebRtc(msg);
        case 'signal':
          try {
            peer?.signal(msg.data as SimplePeer.SignalData);
          } catch (e) {
            fail(new ConnectError('ERR_BAD_SIGNAL', (e as Error).message));
          }
          return;
        default:
          return;
      }
    });

    function startWebRtc(welcome: MessageOf<'welcome'>): void {
      if (peer) return;
      let limits: Partial<ProtocolLimits>;
      try {
        // What the coordinator may make this peer hold is sized to the run's model, not 128 MiB a message.
        limits = peerLimitsForConfig(welcome.config);
      } catch (e) {
        return fail(new ConnectError('ERR_BAD_MESSAGE', `the coordinator's model config is invalid: ${(e as Error).message}`));
      }
      peer = new opts.SimplePeer({ initiator: false, wrtc: opts.wrtc, config: { iceServers: welcome.iceServers } });
      peer.on('signal', (data: SimplePeer.SignalData) => send({ type: 'signal', data }));
      peer.on('error', (e: Error) => fail(new ConnectError('ERR_WEBRTC', `WebRTC failed: ${e.message}`)));
      peer.on('close', () => fail(new ConnectError('ERR_CLOSED', 'data channel closed')));
      peer.on('connect', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        connection = {
          welcome,
          transport: new MessageTransport(fromSimplePeer(peer!), { limits }),
          peer: peer!,
          closed,
          close: () => teardown('closed by this peer'),
        };
        resolve(connection);
      });
    }
  });
}

function joinMessage(opts: ConnectOptions): MessageOf<'join'> {
  return {
    type: 'join',
    protocolVersion: opts.protocolVersion ?? PROTOCOL_VERSION,
    token: opts.token,
    kind: opts.peerKind,
    backend: opts.backend,
    ...(opts.threads ? { capabilities: { threads: opts.threads, backendStepMs: opts.backendStepMs } } : {}),
  };
}

/** A socket.io 'msg' payload as a validated protocol message, or undefined. */
function socketMessage(data: unknown): Message | undefined {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : undefined;
  const decoded = bytes ? decodeMessage(bytes) : undefined;
  return decoded?.ok ? decoded.message : undefined;
}
