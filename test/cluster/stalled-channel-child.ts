// The WebRTC half of a peer that never reads its data channel (test/cluster/misbehaving-peers.ts's
// startNonReader): its parent holds the socket.io session and relays signals over IPC, then stops this
// process (SIGSTOP) once the channel is open. A stopped process acknowledges nothing, so the coordinator's
// SCTP buffer fills and what it sends waits in its own queue, while the parent keeps heart-beating.
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';

let peer: SimplePeer.Instance | undefined;
const send = (m: Record<string, unknown>) => process.send?.(m);

process.on('message', (m: { iceServers?: RTCIceServer[]; signal?: SimplePeer.SignalData }) => {
  if (m.iceServers && !peer) {
    peer = new SimplePeer({ initiator: false, wrtc: wrtc as unknown as SimplePeer.Options['wrtc'], config: { iceServers: m.iceServers } });
    peer.on('signal', (signal: SimplePeer.SignalData) => send({ signal }));
    peer.on('connect', () => send({ open: true }));
    peer.on('error', (e: Error) => send({ error: e.message }));
  }
  if (m.signal) peer?.signal(m.signal);
});
send({ started: true });
