// One peer's life on the coordinator: the socket.io join handshake (token, protocol version), WebRTC
// signaling, the data-channel deadline, then every message over the data channel. Anything malformed ends
// this one session with a coded error; the coordinator and the other peers never notice.
import type { Socket } from 'socket.io';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type SimplePeer from 'simple-peer';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type MessageOf } from '../protocol/messages.ts';
import type { ErrorCode } from '../protocol/errors.ts';
import { MessageTransport, fromSimplePeer } from '../protocol/transport.ts';
import { createCoordinatorLink, LinkError } from './webrtc-link.ts';
import type { PeerLink, PeerRegistry } from './peer-registry.ts';
import type { TrainingLoop } from './training-loop.ts';
import { rejectResult } from './rejection-policy.ts';
import { sameToken } from './token.ts';

export interface SessionContext {
  registry: PeerRegistry<Message>;
  loop: TrainingLoop;
  logger: Logger;
  token: string;
  iceServers: RTCIceServer[];
  dataChannelTimeoutMs: number;
  /** The welcome minus the per-peer fields. */
  welcome: Omit<MessageOf<'welcome'>, 'type' | 'peerId'>;
  /** Closes a peer after this many rejected results in a row. */
  maxRejectionsInARow: number;
}

const JOIN_TIMEOUT_MS = 10_000;
/** Lets a final error message flush before the socket closes. */
const CLOSE_DELAY_MS = 200;

export function handleSocket(socket: Socket, ctx: SessionContext): void {
  const log = ctx.logger.child({ socket: socket.id });
  let peerId: string | undefined;
  let link: ReturnType<typeof createCoordinatorLink> | undefined;
  let transport: MessageTransport | undefined;
  let closed = false;

  const emit = (msg: Message) => socket.emit('msg', encodeMessage(msg));
  const refuse = (code: ErrorCode, message: string) => {
    if (closed) return;
    log.warn({ peer: peerId, code }, message);
    try {
      emit({ type: 'error', code, message, fatal: true });
    } catch {
      // socket already gone
    }
    // The peer leaves the run now; its connections close a moment later, so that the error (on the
    // socket) reaches it before the data channel's close does.
    close(CLOSE_DELAY_MS);
  };
  const close = (linger = 0) => {
    if (closed) return;
    closed = true;
    clearTimeout(joinTimer);
    if (peerId) ctx.registry.remove(peerId);
    const l = link;
    const end = () => {
      l?.destroy();
      socket.disconnect(true);
    };
    if (linger > 0) setTimeout(end, linger);
    else end();
  };
  const joinTimer = setTimeout(() => refuse('ERR_JOIN_TIMEOUT', `no join message within ${JOIN_TIMEOUT_MS} ms`), JOIN_TIMEOUT_MS);

  socket.on('disconnect', (reason) => {
    if (!closed) log.info({ peer: peerId, reason }, 'peer socket closed');
    close();
  });
  // Only 'msg' events carrying protocol bytes are allowed on the socket.
  socket.onAny((event: string) => {
    if (event !== 'msg') refuse('ERR_BAD_MESSAGE', `unexpected socket event "${event}"`);
  });
  socket.on('msg', (data: unknown) => {
    if (closed) return;
    if (!(data instanceof Uint8Array)) return refuse('ERR_BAD_MESSAGE', 'socket messages must be binary protocol messages');
    const decoded = decodeMessage(data);
    if (!decoded.ok) return refuse(decoded.error.code, `invalid message: ${decoded.error.message}`);
    const msg = decoded.message;
    if (!peerId) {
      if (msg.type !== 'join') return refuse('ERR_NOT_JOINED', `expected "join", got "${msg.type}"`);
      return onJoin(msg);
    }
    if (msg.type === 'signal') {
      link?.signal(msg.data as SimplePeer.SignalData);
      return;
    }
    if (msg.type === 'leave') return close();
    // Heartbeats may also come over the socket before the data channel opens.
    if (msg.type === 'heartbeat') return ctx.registry.touch(peerId);
    refuse('ERR_UNEXPECTED', `"${msg.type}" is not allowed on the signaling socket`);
  });

  function onJoin(msg: MessageOf<'join'>): void {
    clearTimeout(joinTimer);
    if (msg.protocolVersion !== PROTOCOL_VERSION) {
      return refuse(
        'ERR_PROTOCOL_VERSION',
        `protocol version ${msg.protocolVersion} is not supported; this coordinator speaks version ${PROTOCOL_VERSION}`,
      );
    }
    if (!sameToken(msg.token, ctx.token)) return refuse('ERR_TOKEN', 'wrong or missing join token');
    const id = randomUUID().slice(0, 8);
    peerId = id;
    const peerLink: PeerLink<Message> = {
      send: (m) => {
        if (closed || !transport) throw new Error('the data channel is not open');
        void transport.send(m);
      },
      close: (code, reason) => refuse(code, reason),
    };
    const entry = ctx.registry.add({
      id, kind: msg.kind, backend: msg.backend, threads: msg.capabilities?.threads, backendStepMs: msg.capabilities?.backendStepMs,
      link: peerLink,
    });
    log.info({ peer: id, kind: msg.kind, backend: msg.backend }, 'peer joined; connecting WebRTC');
    emit({ type: 'welcome', peerId: id, ...ctx.welcome });
    link = createCoordinatorLink({
      iceServers: ctx.iceServers,
      openTimeoutMs: ctx.dataChannelTimeoutMs,
      sendSignal: (signal) => {
        if (!closed) emit({ type: 'signal', data: signal });
      },
    });
    const peer = link.peer;
    link.opened.then(
      () => {
        if (closed) return;
        const channel = new MessageTransport(fromSimplePeer(peer));
        transport = channel;
        channel.onMessage((m) => onChannelMessage(m));
        channel.onInvalid((err) => refuse(err.code, `invalid message on the data channel: ${err.message}`));
        peer.on('close', () => {
          if (!closed) log.info({ peer: id }, 'data channel closed');
          close();
        });
        log.info({ peer: id }, 'data channel open; sending the model');
        ctx.loop.admit(entry);
      },
      (err: LinkError) => refuse(err.code ?? 'ERR_WEBRTC', err.message),
    );
  }

  function onChannelMessage(msg: Message): void {
    if (closed || !peerId) return;
    const entry = ctx.registry.get(peerId);
    if (!entry) return;
    ctx.registry.touch(peerId);
    switch (msg.type) {
      case 'ready':
        ctx.registry.updateCapabilities(peerId, { backend: msg.backend, threads: msg.threads });
        return ctx.loop.markReady(entry, msg.version);
      case 'result': {
        ctx.registry.recordResultArrival(peerId);
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
        if (msg.fatal) {
          close();
        } else ctx.loop.abandon(peerId);
        return;
      case 'leave':
        log.info({ peer: peerId, reason: msg.reason }, 'peer left');
        close();
        return;
      default:
        refuse('ERR_UNEXPECTED', `"${msg.type}" is not allowed from a peer on the data channel`);
    }
  }
}
