// The coordinator's side of one peer's WebRTC connection: simple-peer over @roamhq/wrtc, the coordinator
// initiates (it creates the one data channel), signals travel through the caller (socket.io in practice).
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import type { ErrorCode } from '../../protocol/errors.ts';

export interface CoordinatorLinkOptions {
  /** STUN/TURN servers handed to both sides, from the coordinator's settings. */
  iceServers: RTCIceServer[];
  /** Sends one signal (offer, answer or candidate) to the remote peer. */
  sendSignal(signal: SimplePeer.SignalData): void;
  /** A peer whose data channel is not open after this long is refused. */
  openTimeoutMs: number;
}

export interface CoordinatorLink {
  readonly peer: SimplePeer.Instance;
  /** Resolves when the data channel is open; rejects with a coded error on timeout, close or failure. */
  readonly opened: Promise<void>;
  /** Feeds a signal received from the remote side; a signal simple-peer cannot use rejects `opened`. */
  signal(data: SimplePeer.SignalData): void;
  destroy(): void;
}

export class LinkError extends Error {
  constructor(
    readonly code: Extract<ErrorCode, 'ERR_DATA_CHANNEL_TIMEOUT' | 'ERR_WEBRTC' | 'ERR_BAD_SIGNAL' | 'ERR_CLOSED'>,
    message: string,
  ) {
    super(message);
  }
}

export function createCoordinatorLink(opts: CoordinatorLinkOptions): CoordinatorLink {
  const peer = new SimplePeer({
    initiator: true,
    wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
    config: { iceServers: opts.iceServers },
    // Ordered + reliable (the default): model states and results are framed and must arrive whole.
  });
  let settle: { resolve(): void; reject(e: LinkError): void } | undefined;
  const opened = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  opened.catch(() => {}); // the caller may not await before a failure; the rejection is still observed there
  const finish = (err?: LinkError) => {
    if (!settle) return;
    const s = settle;
    settle = undefined;
    clearTimeout(timer);
    if (err) s.reject(err);
    else s.resolve();
  };
  const timer = setTimeout(
    () =>
      finish(
        new LinkError(
          'ERR_DATA_CHANNEL_TIMEOUT',
          `the WebRTC data channel did not open within ${opts.openTimeoutMs} ms (check ICE/TURN settings)`,
        ),
      ),
    opts.openTimeoutMs,
  );
  peer.on('signal', (s: SimplePeer.SignalData) => opts.sendSignal(s));
  peer.on('connect', () => finish());
  peer.on('error', (e: Error) => finish(new LinkError('ERR_WEBRTC', `WebRTC failed: ${e.message}`)));
  peer.on('close', () => finish(new LinkError('ERR_CLOSED', 'the WebRTC connection closed before opening')));
  return {
    peer,
    opened,
    signal(data) {
      try {
        peer.signal(data);
      } catch (e) {
        finish(new LinkError('ERR_BAD_SIGNAL', `unusable signal: ${(e as Error).message}`));
      }
    },
    destroy() {
      finish(new LinkError('ERR_CLOSED', 'link destroyed'));
      peer.destroy();
    },
  };
}
