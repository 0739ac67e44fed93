// Node-only helper for tests and bench/protocol.ts (kept out of protocol/, which is platform-free): two simple-peer
// instances over @roamhq/wrtc on loopback, signaled directly in memory, resolved once both data channels
// are open.
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';

export interface PeerPair {
  a: SimplePeer.Instance;
  b: SimplePeer.Instance;
  destroy(): void;
}

export function connectWrtcPair(timeoutMs = 20_000): Promise<PeerPair> {
  // No ICE servers: host candidates on loopback are all two local peers need.
  const opts = { wrtc: wrtc as unknown as SimplePeer.Options['wrtc'], config: { iceServers: [] } };
  const a = new SimplePeer({ ...opts, initiator: true });
  const b = new SimplePeer(opts);
  const destroy = () => {
    a.destroy();
    b.destroy();
  };
  a.on('signal', (s: SimplePeer.SignalData) => b.signal(s));
  b.on('signal', (s: SimplePeer.SignalData) => a.signal(s));
  return new Promise<PeerPair>((resolve, reject) => {
    const timer = setTimeout(() => {
      destroy();
      reject(new Error(`WebRTC pair not connected within ${timeoutMs} ms`));
    }, timeoutMs);
    let open = 0;
    const onConnect = () => {
      if (++open < 2) return;
      clearTimeout(timer);
      resolve({ a, b, destroy });
    };
    const onError = (e: Error) => {
      clearTimeout(timer);
      destroy();
      reject(e);
    };
    a.once('connect', onConnect);
    b.once('connect', onConnect);
    a.once('error', onError);
    b.once('error', onError);
  });
}
