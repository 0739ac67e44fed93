// What a peer shows its user (a progress line in a terminal, a panel in a tab). Platform-free.
import { bitsPerByteFromNats } from '../../common/units.ts';

export interface PeerStats {
  peerId: string;
  state: 'connecting' | 'syncing' | 'ready' | 'training' | 'closed';
  round: number;
  modelVersion: number;
  /** Mean training loss of this peer's last result (nats per byte), NaN before the first. */
  loss: number;
  /** Trained (scored) bytes per second over this peer's last result. */
  bytesPerSec: number;
  /** This peer's share of the last round's bytes, as the coordinator told it (0..1), NaN if unknown. */
  share: number;
  roundsDone: number;
  bytesTrained: number;
  /** Bytes received / sent over the data channel (model states, assignments, results). */
  wireBytesIn: number;
  wireBytesOut: number;
  lastError: string | undefined;
  /** Threads training this peer's model (see PeerModel.threads). */
  threads: number;
  /** How its frames travel: the WebRTC data channel, or the coordinator's socket relay. */
  transport: 'webrtc' | 'relay';
}

export function emptyStats(peerId = ''): PeerStats {
  return {
    peerId,
    state: 'connecting',
    round: -1,
    modelVersion: -1,
    loss: Number.NaN,
    bytesPerSec: 0,
    share: Number.NaN,
    roundsDone: 0,
    bytesTrained: 0,
    wireBytesIn: 0,
    wireBytesOut: 0,
    lastError: undefined,
    threads: 1,
    transport: 'webrtc',
  };
}

/** One line for a terminal: `[ready] round 12  loss 3.339 bpb  1.2 kB/s  share 50%  model v12  2 threads  relay`. */
export function formatStatsLine(s: PeerStats): string {
  const loss = Number.isFinite(s.loss) ? `${bitsPerByteFromNats(s.loss).toFixed(3)} bpb` : '-';
  const share = Number.isFinite(s.share) ? `${Math.round(s.share * 100)}%` : '-';
  return `[${s.state}] round ${s.round < 0 ? '-' : s.round}  loss ${loss}  ${formatRate(s.bytesPerSec)}  share ${share}  model v${s.modelVersion}${s.threads > 1 ? `  ${s.threads} threads` : ''}${s.transport === 'relay' ? '  relay' : ''}`;
}

export function formatRate(bytesPerSec: number): string {
  if (bytesPerSec >= 1e6) return `${(bytesPerSec / 1e6).toFixed(2)} MB/s`;
  if (bytesPerSec >= 1e3) return `${(bytesPerSec / 1e3).toFixed(1)} kB/s`;
  return `${bytesPerSec.toFixed(0)} B/s`;
}
