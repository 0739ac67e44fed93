// One peer's life on the coordinator: the socket.io join handshake (token, protocol version), WebRTC
// signaling, the data-channel deadline, then every message over the data channel, or over the socket relay
// when the peer asks for it (use-relay) because WebRTC cannot connect. Anything malformed ends
// this one session with a coded error; the coordinator and the other peers never notice.
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import type SimplePeer from 'simple-peer';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type MessageOf } from '../../protocol/messages.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { ProtocolLimits } from '../../protocol/limits.ts';
import { MessageTransport, fromSimplePeer, type DataChannelLike } from '../../protocol/transport.ts';
import { fromRelaySocket, RELAY_FRAME_EVENT } from '../../protocol/relay-channel.ts';
import { createCoordinatorLink, LinkError } from './webrtc-link.ts';
import type { PeerLink, PeerRegistry } from './registry.ts';
import type { RoundLoop } from '../rounds/round-loop.ts';
import { rejectResult } from './rejection-policy.ts';
import { sameToken } from '../http/token.ts';
import { addressKey, isMisbehaviour, type Admission } from './admission.ts';
import { SignalGuard } from './signal-guard.ts';

export interface SessionContext {
  registry: PeerRegistry<Message>;
  loop: RoundLoop;
  logger: Logger;
  token: string;
  iceServers: RTCIceServer[];
  dataChannelTimeoutMs: number;
  /** The welcome minus the per-peer fields. */
  welcome: Omit<MessageOf<'welcome'>, 'type' | 'peerId'>;
  /** Closes a peer after this many rejected results in a row. */
  maxRejectionsInARow: number;
  /** Who may take a peer slot (rates, limits, misbehaviour backoff). */
  admission: Admission;
  /** What a peer's data channel accepts (protocol/model-limits.ts's coordinatorLimits: sized to the model). */
  limits?: Partial<ProtocolLimits>;
  /** Bounds on what waits for one peer: past either, it is dropped with ERR_TOO_SLOW. */
  sendQueue?: { maxQueuedBytes: number; maxSendStallMs: number };
  /** Every session ended with a code (counted by code in /metrics). */
  onRefused?(code: ErrorCode): void;
}

/** Queued model states share this key: a newer one replaces one that has not started sending. */
const MODEL_STATE_KEY = 'model-state';

const JOIN_TIMEOUT_MS = 10_000;
/** Lets a final error message flush before the socket closes. */
const CLOSE_DELAY_MS = 200;

export function handleSocket(socket: Socket, ctx: SessionContext): void {
  new PeerSession(socket, ctx).start();
}

/** The session of one socket: before join, then as a peer with a data channel. */
class PeerSession {
  private readonly log: Logger;
  private peerId: string | undefined;
  private link: ReturnType<typeof createCoordinatorLink> | undefined;
  private transport: MessageTransport | undefined;
  private relayed = false;
  private closed = false;
  private joinTimer: ReturnType<typeof setTimeout> | undefined;
  /** The peer's IP address (the socket's; a proxy's X-Forwarded-For is not trusted: anyone can set it). */
  private readonly address: string;
  /** What admission counts it under (an IPv6 address by its /64). */
  private readonly admissionKey: string;
  /** The token this peer joined with, once admitted (a misbehaviour strike is keyed by address and token). */
  private admittedToken: string | undefined;
  private readonly signals: SignalGuard;

  constructor(
    private readonly socket: Socket,
    private readonly ctx: SessionContext,
  ) {
    this.address = peerAddress(socket.handshake.address);
    this.admissionKey = addressKey(this.address);
    this.log = ctx.logger.child({ socket: socket.id, address: this.address });
    this.signals = new SignalGuard({ peerOnLoopback: isLoopback(this.address) });
  }

  start(): void {
    const { socket } = this;
    this.joinTimer = setTimeout(() => this.refuse('ERR_JOIN_TIMEOUT', `no join message within ${JOIN_TIMEOUT_MS} ms`), JOIN_TIMEOUT_MS);
    socket.on('disconnect', (reason) => {
      if (!this.closed) this.log.info({ peer: this.peerId, reason }, 'peer socket closed');
      this.close();
    });
    // Only 'msg' events carrying protocol bytes are allowed on the socket, and relayed frames once relayed.
    socket.onAny((event: string) => {
      if (event !== 'msg' && !(event === RELAY_FRAME_EVENT && this.relayed)) this.refuse('ERR_BAD_MESSAGE', `unexpected socket event "${event}"`);
    });
    socket.on('msg', (data: unknown) => this.onSocketMessage(data));
  }

  private emit(msg: Message): void {
    this.socket.emit('msg', encodeMessage(msg));
  }

  private refuse(code: ErrorCode, message: string, retryAfterMs?: number): void {
    if (this.closed) return;
    if (this.admittedToken !== undefined && isMisbehaviour(code)) {
      // Dropped for its own doing: the same token from the same address waits before it may rejoin.
      const wait = this.ctx.admission.strike(this.admissionKey, this.admittedToken);
      if (wait > 0) {
        message = `${message}; rejoin refused for ${Math.ceil(wait / 1000)} s`;
        retryAfterMs = wait;
      }
    }
    this.log.warn({ peer: this.peerId, code }, message);
    this.ctx.onRefused?.(code);
    try {
      this.emit({ type: 'error', code, message, fatal: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    } catch {
      // socket already gone
    }
    // The peer leaves the run now; its connections close a moment later, so that the error (on the
    // socket) reaches it before the data channel's close does.
    this.close(CLOSE_DELAY_MS);
  }

  private close(linger = 0): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.joinTimer);
    if (this.peerId) this.ctx.registry.remove(this.peerId);
    if (this.admittedToken !== undefined) this.ctx.admission.release(this.admissionKey);
    const l = this.link;
    const end = () => {
      l?.destroy();
      this.socket.disconnect(true);
    };
    if (linger > 0) setTimeout(end, linger);
    else end();
  }

  private onSocketMessage(data: unknown): void {
    if (this.closed) return;
    if (!(data instanceof Uint8Array)) return this.refuse('ERR_BAD_MESSAGE', 'socket messages must be binary protocol messages');
    const decoded = decodeMessage(data);
    if (!decoded.ok) return this.refuse(decoded.error.code, `invalid message: ${decoded.error.message}`);
    const msg = decoded.message;
    if (!this.peerId) {
      if (msg.type !== 'join') return this.refuse('ERR_NOT_JOINED', `expected "join", got "${msg.type}"`);
      return this.onJoin(msg);
    }
    if (msg.type === 'signal') return this.onSignal(msg.data);
    if (msg.type === 'use-relay') return this.useRelay(msg.reason);
    if (msg.type === 'leave') {
      this.log.info({ peer: this.peerId, reason: msg.reason }, 'peer left');
      return this.close();
    }
    // Heartbeats may also come over the socket before the data channel opens.
    if (msg.type === 'heartbeat') return this.ctx.registry.touch(this.peerId);
    this.refuse('ERR_UNEXPECTED', `"${msg.type}" is not allowed on the signaling socket`);
  }

  private onSignal(data: object): void {
    const verdict = this.signals.check(data);
    if (verdict.action === 'refuse') return this.refuse('ERR_SIGNALING', `signaling out of bounds: ${verdict.why}`);
    if (verdict.action === 'ignore') return this.log.debug({ peer: this.peerId }, `signal ignored: ${verdict.why}`);
    this.link?.signal(verdict.data as SimplePeer.SignalData);
  }

  private onJoin(msg: MessageOf<'join'>): void {
    const { ctx } = this;
    clearTimeout(this.joinTimer);
    // Every attempt counts against the join rate, before the token is compared: guessing is as slow as joining.
    const rate = ctx.admission.checkRate(this.admissionKey);
    if (!rate.ok) return this.refuse(rate.code, rate.message, rate.retryAfterMs);
    if (msg.protocolVersion !== PROTOCOL_VERSION) {
      return this.refuse(
        'ERR_PROTOCOL_VERSION',
        `protocol version ${msg.protocolVersion} is not supported; this coordinator speaks version ${PROTOCOL_VERSION}`,
      );
    }
    if (!sameToken(msg.token, ctx.token)) return this.refuse('ERR_TOKEN', 'wrong or missing join token');
    const admitted = ctx.admission.admit(this.admissionKey, msg.token);
    if (!admitted.ok) return this.refuse(admitted.code, admitted.message, admitted.retryAfterMs);
    this.admittedToken = msg.token;
    const id = ctx.registry.newId();
    this.peerId = id;
    const peerLink: PeerLink<Message> = {
      send: (m) => {
        if (this.closed || !this.transport) throw new Error('the data channel is not open');
        void this.transport.send(m, m.type === 'model-state' ? { coalesceKey: MODEL_STATE_KEY } : undefined);
      },
      modelStatePending: () => this.transport?.framed.hasPending(MODEL_STATE_KEY) ?? false,
      close: (code, reason) => this.refuse(code, reason),
    };
    ctx.registry.add({
      id, kind: msg.kind, backend: msg.backend, threads: msg.capabilities?.threads, backendStepMs: msg.capabilities?.backendStepMs,
      link: peerLink,
    });
    this.log.info({ peer: id, kind: msg.kind, backend: msg.backend }, 'peer joined; connecting WebRTC');
    this.emit({ type: 'welcome', peerId: id, ...ctx.welcome });
    this.connectDataChannel(id);
  }

  /** WebRTC to the peer; once its data channel opens, the peer is admitted and gets the model. */
  private connectDataChannel(id: string): void {
    const link = createCoordinatorLink({
      iceServers: this.ctx.iceServers,
      openTimeoutMs: this.ctx.dataChannelTimeoutMs,
      sendSignal: (signal) => {
        if (!this.closed && this.link === link) this.emit({ type: 'signal', data: signal });
      },
    });
    this.link = link;
    link.opened.then(
      () => {
        if (this.closed || this.link !== link) return;
        this.signals.markOpen();
        link.peer.on('close', () => {
          if (!this.closed) this.log.info({ peer: id }, 'data channel closed');
          this.close();
        });
        this.openTransport(id, fromSimplePeer(link.peer), 'data channel open; sending the model');
      },
      (err: LinkError) => {
        // A link given up for the relay fails quietly; the relay carries the peer now.
        if (this.link === link) this.refuse(err.code ?? 'ERR_WEBRTC', err.message);
      },
    );
  }

  /** The peer cannot reach us over WebRTC: its frames travel over this socket from now on. */
  private useRelay(reason: string): void {
    const id = this.peerId!;
    if (!this.ctx.welcome.relay) return this.refuse('ERR_RELAY_DISABLED', 'this coordinator runs with --no-relay: the peer needs a WebRTC path (or a TURN server)');
    if (this.transport || this.relayed) return this.refuse('ERR_UNEXPECTED', 'use-relay after the data channel opened');
    const link = this.link;
    this.link = undefined;
    link?.destroy();
    this.relayed = true;
    this.ctx.registry.updateCapabilities(id, { transport: 'relay' });
    const channel = fromRelaySocket(this.socket, {
      onSocketClose: (cb) => this.socket.on('disconnect', cb),
      closeSocket: () => this.socket.disconnect(true),
    });
    this.openTransport(id, channel, `relaying the peer's frames over its socket (${reason}); sending the model`);
  }

  /** The peer's message transport is up (data channel or relay): it is admitted and gets the model. */
  private openTransport(id: string, channel: DataChannelLike, why: string): void {
    // The relay is held to the data channel's limits: sized to the model, a bounded send queue, a stall limit.
    const transport = new MessageTransport(channel, { limits: this.ctx.limits, ...this.ctx.sendQueue });
    this.transport = transport;
    transport.framed.onTooSlow((err) => this.refuse('ERR_TOO_SLOW', `dropped as too slow: ${err.message}`));
    transport.onMessage((m) => this.onChannelMessage(m));
    transport.onInvalid((err) => this.refuse(err.code, `invalid message on the data channel: ${err.message}`));
    this.log.info({ peer: id }, why);
    const entry = this.ctx.registry.get(id);
    if (entry) this.ctx.loop.admit(entry);
  }

  private onChannelMessage(msg: Message): void {
    const { ctx, peerId, log } = this;
    if (this.closed || !peerId) return;
    const entry = ctx.registry.get(peerId);
    if (!entry) return;
    ctx.registry.touch(peerId);
    switch (msg.type) {
      case 'ready':
        ctx.registry.updateCapabilities(peerId, { backend: msg.backend, threads: msg.threads });
        return ctx.loop.markReady(entry, msg.version);
      case 'result': {
        ctx.registry.recordResultArrival(peerId, msg.round);
        const why = ctx.loop.offerResult(entry, msg);
        if (why === undefined) return;
        if (why === 'stale' || why === 'no round in progress' || why === 'unassigned') {
          log.info({ peer: peerId, round: msg.round, version: msg.version, why }, 'late result ignored');
          return;
        }
        rejectResult(ctx.registry, ctx.maxRejectionsInARow, { peerId, reason: why, notice: `result rejected: ${why}` });
        return;
      }
      case 'heartbeat':
        return;
      case 'error':
        // The peer could not finish its assignment (e.g. a non-finite gradient): its batch goes back now.
        log.warn({ peer: peerId, code: msg.code }, msg.message);
        ctx.registry.recordRejection(peerId, msg.code);
        if (msg.fatal) this.close();
        else ctx.loop.abandon(peerId);
        return;
      case 'leave':
        log.info({ peer: peerId, reason: msg.reason }, 'peer left');
        this.close();
        return;
      default:
        this.refuse('ERR_UNEXPECTED', `"${msg.type}" is not allowed from a peer on the data channel`);
    }
  }
}

/** The socket's remote address, an IPv4-mapped IPv6 one as plain IPv4 (one peer, one key). */
function peerAddress(raw: string | undefined): string {
  const a = (raw ?? 'unknown').toLowerCase();
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}
