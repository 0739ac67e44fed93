// Joins a coordinator: socket.io handshake (token + protocol version), WebRTC signaling, then a framed
// message transport over the data channel, or over the socket itself (the relay) when WebRTC cannot connect:
// on 'auto', a peer whose data channel is not open by the welcome's `relay.afterMs` (or that has no WebRTC,
// or whose WebRTC fails) asks for the relay. The platform pieces are arguments: a browser passes its
// `io` and `SimplePeer` globals, Node passes socket.io-client, simple-peer and @roamhq/wrtc.
import type SimplePeer from 'simple-peer';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type MessageOf } from '../../protocol/messages.ts';
import { MessageTransport, fromSimplePeer, type DataChannelLike } from '../../protocol/transport.ts';
import { fromRelaySocket, type RelaySocketLike } from '../../protocol/relay-channel.ts';
import { peerLimitsForConfig } from '../../protocol/model-limits.ts';
import type { ProtocolLimits } from '../../protocol/limits.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import { checkModelFits } from './model-budget.ts';

/** The part of a socket.io-client socket this module uses. */
export interface SocketLike {
  on(event: 'connect', cb: () => void): unknown;
  on(event: 'disconnect', cb: (reason: string) => void): unknown;
  on(event: 'connect_error', cb: (err: Error) => void): unknown;
  on(event: 'msg', cb: (data: unknown) => void): unknown;
  emit(event: 'msg', data: Uint8Array): unknown;
  disconnect(): unknown;
}

/** How the peer's frames travel: 'auto' tries WebRTC and falls back to the relay; the others insist. */
export type TransportChoice = 'auto' | 'webrtc' | 'relay';
export const TRANSPORT_CHOICES: readonly TransportChoice[] = ['auto', 'webrtc', 'relay'];

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
  /** Default 'auto'. */
  transport?: TransportChoice;
  /** False where the platform has no WebRTC (a browser with RTCPeerConnection off): 'auto' relays at once. */
  webrtcAvailable?: boolean;
  /** Overrides the protocol version sent (tests of the coordinator's refusal only). */
  protocolVersion?: number;
  /** Memory this peer can give the model (model-budget.ts); a larger model is refused with ERR_MODEL_TOO_LARGE. */
  maxModelBytes?: number;
  /** Extra socket.io-client options (Node over https: the trusted certificate, see peer/node/tls-trust.ts). */
  socketOptions?: Record<string, unknown>;
}

/** How long a leaving peer waits for the coordinator to hang up after its goodbye went out on the socket. */
const LEAVE_LINGER_MS = 1_000;

/** A peer that is not told what it can hold gives a model 1 GiB (a 30M-parameter model). */
export const DEFAULT_MAX_MODEL_BYTES = 1024 ** 3;

export interface CoordinatorConnection {
  welcome: MessageOf<'welcome'>;
  transport: MessageTransport;
  /** How the frames travel. */
  transportKind: 'webrtc' | 'relay';
  /** The channel under the transport (tests use it to put raw bytes on it). */
  channel: DataChannelLike;
  /** Resolves once, when the data channel or the socket closes, with the reason. */
  closed: Promise<string>;
  /** The coded error that ended the connection (a kick from the coordinator), once `closed` has resolved. */
  readonly endedBy: ConnectError | undefined;
  close(): void;
  /** Says goodbye with a reason, then closes. The goodbye goes over the socket, ordered before its close, so it
   *  arrives even when this thread is busy (a step on the page) or the data channel would drop it on close. */
  leave(reason: string): void;
}

/** A refusal or failure with the coordinator's (or our) error code, e.g. ERR_TOKEN, ERR_PROTOCOL_VERSION. */
export class ConnectError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The coordinator's hint that retrying may work after this long (a full coordinator, a backoff). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export function connectToCoordinator(opts: ConnectOptions): Promise<CoordinatorConnection> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const choice = opts.transport ?? 'auto';
  return new Promise<CoordinatorConnection>((resolve, reject) => {
    const socket = opts.io(opts.url, { ...opts.socketOptions, transports: ['websocket'], reconnection: false, forceNew: true });
    let peer: SimplePeer.Instance | undefined;
    let relayTimer: ReturnType<typeof setTimeout> | undefined;
    let closeReason: ((r: string) => void) | undefined;
    const closed = new Promise<string>((r) => (closeReason = r));
    let done = false;
    let endedBy: ConnectError | undefined;
    const teardown = (reason: string) => {
      // Resolve first: destroying the peer and the socket below re-enters fail() with a vaguer reason.
      const settle = closeReason;
      closeReason = undefined;
      settle?.(reason);
      clearTimeout(timer);
      clearTimeout(relayTimer);
      peer?.destroy();
      socket.disconnect();
    };
    const fail = (err: ConnectError) => {
      endedBy ??= err;
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
    /** A goodbye was sent: the connection closes when the coordinator hangs up, or after LEAVE_LINGER_MS. */
    let leaving = false;
    /** What the coordinator may make this peer hold, sized to the welcome's model once it is known to fit. */
    let limits: Partial<ProtocolLimits> = {};
    const connected = (welcome: MessageOf<'welcome'>, channel: DataChannelLike, transportKind: 'webrtc' | 'relay') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(relayTimer);
      resolve({
        welcome,
        // Full model states must hold exactly this model's parameters, and no message may be much larger.
        transport: new MessageTransport(channel, { limits }),
        transportKind,
        channel,
        closed,
        get endedBy() {
          return endedBy;
        },
        close: () => {
          // A goodbye under way closes by itself (below); closing at once could still drop it.
          if (!leaving) teardown('closed by this peer');
        },
        leave: (reason) => {
          if (leaving || closeReason === undefined) return;
          leaving = true;
          try {
            send({ type: 'leave', reason: reason.slice(0, 2048) });
          } catch {
            // the socket is already gone: the coordinator saw it close
          }
          // The coordinator hangs up on a goodbye. Hanging up ourselves at once could lose it: socket.io drops an
          // event it dispatches after the socket's close, and both can arrive together. So we only close after
          // a moment, in case the coordinator does not.
          setTimeout(() => teardown(`left: ${reason}`), LEAVE_LINGER_MS);
        },
      });
    };

    socket.on('connect', () => send(joinMessage(opts)));
    socket.on('connect_error', (err) => fail(new ConnectError('ERR_CONNECT', `cannot reach ${opts.url}: ${err.message}`)));
    socket.on('disconnect', (reason) => fail(new ConnectError('ERR_DISCONNECTED', `coordinator socket closed: ${reason}`)));
    socket.on('msg', (data) => {
      const msg = socketMessage(data);
      if (!msg) return fail(new ConnectError('ERR_BAD_MESSAGE', 'invalid message from the coordinator'));
      switch (msg.type) {
        case 'error':
          return fail(new ConnectError(msg.code, msg.message, msg.retryAfterMs));
        case 'welcome':
          return onWelcome(msg);
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

    function onWelcome(welcome: MessageOf<'welcome'>): void {
      if (peer || done) return;
      const fit = checkModelFits(welcome.config, opts.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES);
      if (!fit.ok) {
        send({ type: 'leave', reason: `ERR_MODEL_TOO_LARGE: ${fit.message}`.slice(0, 2048) });
        return fail(new ConnectError('ERR_MODEL_TOO_LARGE', fit.message));
      }
      try {
        limits = peerLimitsForConfig(welcome.config);
      } catch (e) {
        return fail(new ConnectError('ERR_BAD_MESSAGE', `the coordinator's model config is invalid: ${(e as Error).message}`));
      }
      if (choice === 'relay') return startRelay(welcome, 'the peer asked for the relay');
      if (choice === 'auto' && opts.webrtcAvailable === false) return startRelay(welcome, 'the peer has no WebRTC');
      startWebRtc(welcome);
      const after = welcome.relay?.afterMs;
      if (choice === 'auto' && after !== undefined) {
        relayTimer = setTimeout(() => startRelay(welcome, `its data channel did not open within ${after} ms`), after);
      }
    }

    function startWebRtc(welcome: MessageOf<'welcome'>): void {
      const p = new opts.SimplePeer({ initiator: false, wrtc: opts.wrtc, config: { iceServers: welcome.iceServers } });
      peer = p;
      // On 'auto', a WebRTC failure before the channel opens is what the relay is for.
      const failed = (err: ConnectError) => (choice === 'auto' && !done && welcome.relay ? startRelay(welcome, err.message) : fail(err));
      p.on('signal', (data: SimplePeer.SignalData) => send({ type: 'signal', data }));
      p.on('error', (e: Error) => failed(new ConnectError('ERR_WEBRTC', `WebRTC failed: ${e.message}`)));
      p.on('close', () => failed(new ConnectError('ERR_CLOSED', 'data channel closed')));
      p.on('connect', () => connected(welcome, fromSimplePeer(p), 'webrtc'));
    }

    function startRelay(welcome: MessageOf<'welcome'>, reason: string): void {
      if (done) return;
      if (!welcome.relay) {
        return fail(new ConnectError('ERR_RELAY_DISABLED', 'the coordinator does not relay (--no-relay): this peer needs a WebRTC path to it'));
      }
      const p = peer;
      peer = undefined;
      if (p) {
        p.removeAllListeners();
        p.on('error', () => {}); // destroying may still report the aborted negotiation
        p.destroy();
      }
      send({ type: 'use-relay', reason });
      const relaySocket = socket as unknown as RelaySocketLike;
      const channel = fromRelaySocket(relaySocket, {
        onSocketClose: (cb) => socket.on('disconnect', () => cb()),
        closeSocket: () => socket.disconnect(),
      });
      connected(welcome, channel, 'relay');
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
