// What the peers hold, and how each new model version reaches them.
//
// With the fp32 codec every version goes out as the full fp32 weights: each peer holds exactly the master
// weights, which is what makes a run equal to one process. With a lossy codec the update goes out as a
// compressed delta (int8: about 1 byte per parameter instead of 4): the coordinator keeps the one *replica*
// every in-sync peer holds, sends `codec(master − replica)` and adds the decoded delta to the replica itself.
// The quantization error is not lost: it stays in `master − replica` and goes out with the next delta
// (error feedback by construction), so the replica tracks the master within one delta's quantization error.
// Every peer applies the same decoded bytes to the same replica with the same float32 additions, so all
// replicas stay bit-identical; a joining (or lagging) peer gets the replica in full.
import type { Message } from '../../protocol/messages.ts';
import { codecByName, decodeGradient, type GradientCodec } from '../../protocol/codecs/index.ts';

/** fp32 → full weights; fp16 → fp16 deltas; int8 and top-k → int8 deltas (a sparse model delta would leave
 * the replica far behind the master). */
export function broadcastCodecFor(codec: string): GradientCodec | undefined {
  if (codec === 'fp32') return undefined;
  return codecByName(codec === 'fp16' ? 'fp16' : 'int8');
}

export class ModelBroadcast {
  /** The weights every in-sync peer holds (the master itself when broadcasting full weights). */
  private readonly replica: Float32Array;
  private delta: { baseVersion: number; version: number; payload: Uint8Array } | undefined;

  constructor(
    private readonly master: Float32Array,
    private readonly codec: GradientCodec | undefined,
  ) {
    this.replica = codec ? master.slice() : master;
  }

  /** The master moved from `baseVersion` to `version`: prepare the delta every in-sync peer will get. */
  advance(baseVersion: number, version: number): void {
    if (!this.codec) return;
    const d = new Float32Array(this.master.length);
    for (let i = 0; i < d.length; i++) d[i] = this.master[i]! - this.replica[i]!;
    const payload = this.codec.encode(d);
    const decoded = decodeGradient(payload, d.length);
    if (!decoded.ok) throw decoded.error; // our own payload: a bug, not a peer's fault
    const r = this.replica;
    for (let i = 0; i < r.length; i++) r[i] = r[i]! + decoded.vector[i]!;
    this.delta = { baseVersion, version, payload };
  }

  /** The model-state message for a peer that holds `peerVersion` (-1: nothing yet). */
  messageFor(peerVersion: number, version: number, round: number): Extract<Message, { type: 'model-state' }> {
    const d = this.delta;
    if (d && d.version === version && d.baseVersion === peerVersion) {
      return { type: 'model-state', version, round, encoding: 'delta', baseVersion: d.baseVersion, weights: d.payload };
    }
    const w = this.replica;
    return { type: 'model-state', version, round, encoding: 'full', weights: new Uint8Array(w.buffer, w.byteOffset, w.byteLength) };
  }
}

/** What the broadcast needs to know of one peer. */
export interface BroadcastTarget {
  /** The version last sent (queued) to the peer, -1 before the first. */
  sentVersion: number;
  /** A model state sent earlier still waits in the peer's queue, not started (the next one replaces it). */
  modelStatePending: boolean;
}

/** The model state for one peer. One replacing a queued model state goes out in full: the peer never gets the
 *  replaced version, so a delta against it would not apply. */
export function modelStateFor(b: ModelBroadcast, peer: BroadcastTarget, version: number, round: number): Extract<Message, { type: 'model-state' }> {
  return b.messageFor(peer.modelStatePending ? -1 : peer.sentVersion, version, round);
}
