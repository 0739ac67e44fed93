// Who is connected, in which state, and what each peer has done: the source of /api/status's peer list and
// of the round loop's choice of participants. The registry alone writes an entry: every state transition and
// counter update is one of its methods, and the entries it hands out are read-only.
import { randomBytes } from 'node:crypto';
import type { ErrorCode } from '../../protocol/errors.ts';

import type { PeerStatus } from '../../protocol/status.ts';

/** connecting (joined, data channel not open) → syncing (open, model sent) → ready (holds a model) → gone. */
export type PeerState = PeerStatus['state'];

/** What the session that owns a peer lends the registry to reach it. */
export interface PeerLink<M> {
  /** Sends over the data channel; throws if it is not open (yet) or the message is invalid. A model state
   *  replaces one still queued for this peer that has not started (see modelStatePending). */
  send(msg: M): void;
  /** True while a model state sent earlier waits in this peer's queue, not started: the next one replaces it,
   *  so it must not be a delta against that one. Absent: never. */
  modelStatePending?(): boolean;
  /** Ends the peer's session with a coded error; the session then removes the peer. */
  close(code: ErrorCode, reason: string): void;
}

export interface PeerEntry<M> {
  readonly id: string;
  readonly kind: string;
  readonly backend: string;
  /** Threads the peer trains with (from join's capabilities, then each ready). */
  readonly threads: number;
  /** A tab's backend check: training step milliseconds per backend it ran. */
  readonly backendStepMs: Readonly<Partial<Record<string, number>>> | undefined;
  /** How its frames travel: a WebRTC data channel, or the socket relay where WebRTC could not connect. */
  readonly transport: PeerStatus['transport'];
  readonly state: PeerState;
  readonly joinedAt: number;
  readonly lastSeen: number;
  readonly link: PeerLink<M>;
  /** Model version most recently sent to this peer (full weights), -1 before the first. */
  readonly sentVersion: number;
  /** Trained (scored) bytes per second, smoothed over recent rounds. */
  readonly bytesPerSec: number;
  readonly roundsContributed: number;
  readonly bytesContributed: number;
  readonly rejected: number;
  /** Rejections since this peer's last accepted result (a peer that keeps failing is dropped). */
  readonly rejectedInARow: number;
  /** Last reason a result from this peer was rejected or a message was invalid. */
  readonly lastRejection: string | undefined;
  /** When this peer last missed a round's deadline; it gets no new work until a result of it arrives again. */
  /** The round whose deadline this peer missed, until its result for that round (or a later one) arrives. */
  readonly missedRound: number | undefined;
  /** When this peer's last result (current or late) arrived. */
  readonly lastResultAt: number;
}

/** What /api/status shows of a peer: the contract's PeerStatus. */
export type PeerSummary = PeerStatus;

export interface NewPeer<M> {
  id: string;
  kind: string;
  backend: string;
  threads?: number;
  backendStepMs?: Partial<Record<string, number>>;
  link: PeerLink<M>;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export class PeerRegistry<M> {
  private readonly peers = new Map<string, Writable<PeerEntry<M>>>();
  private listeners: Array<(p: PeerEntry<M>) => void> = [];

  /** An unguessable id no connected peer has: 96 random bits (a peer cannot predict or pick another's id),
   * drawn again on a collision. `random` is for tests only. */
  newId(random: () => string = () => randomBytes(12).toString('base64url')): string {
    for (;;) {
      const id = random();
      if (!this.peers.has(id)) return id;
    }
  }

  add(init: NewPeer<M>): PeerEntry<M> {
    if (this.peers.has(init.id)) throw new Error(`peer id ${init.id} is taken`);
    const now = Date.now();
    const entry: Writable<PeerEntry<M>> = {
      id: init.id,
      kind: init.kind,
      backend: init.backend,
      threads: init.threads ?? 1,
      backendStepMs: init.backendStepMs,
      transport: 'webrtc',
      state: 'connecting',
      joinedAt: now,
      lastSeen: now,
      link: init.link,
      sentVersion: -1,
      bytesPerSec: 0,
      roundsContributed: 0,
      bytesContributed: 0,
      rejected: 0,
      rejectedInARow: 0,
      lastRejection: undefined,
      missedRound: undefined,
      lastResultAt: 0,
    };
    this.peers.set(init.id, entry);
    return entry;
  }

  get(id: string): PeerEntry<M> | undefined {
    return this.peers.get(id);
  }

  /** Marks a peer gone and forgets it; listeners (the round loop) requeue its work. */
  remove(id: string): void {
    const p = this.peers.get(id);
    if (!p) return;
    p.state = 'gone';
    this.peers.delete(id);
    for (const l of this.listeners) l(p);
  }

  onRemoved(cb: (p: PeerEntry<M>) => void): void {
    this.listeners.push(cb);
  }

  /** Ends a peer's session with a coded error (through its link); its session then removes it. */
  kick(id: string, code: ErrorCode, reason: string): void {
    this.peers.get(id)?.link.close(code, reason);
  }

  touch(id: string): void {
    const p = this.peers.get(id);
    if (p) p.lastSeen = Date.now();
  }

  /** The data channel is open and the model is on its way. */
  markSyncing(id: string): void {
    const p = this.peers.get(id);
    if (p) p.state = 'syncing';
  }

  /** The model state `version` went out to this peer. */
  markSent(id: string, version: number): void {
    const p = this.peers.get(id);
    if (p) p.sentVersion = version;
  }

  /** The peer's ready message may update what it trains with (a tab settles its backend and threads late). */
  updateCapabilities(id: string, caps: { backend?: string; threads?: number; transport?: PeerStatus['transport'] }): void {
    const p = this.peers.get(id);
    if (!p) return;
    if (caps.backend) p.backend = caps.backend;
    if (caps.threads) p.threads = caps.threads;
    if (caps.transport) p.transport = caps.transport;
  }

  /** The peer holds `version`. Only the ack of the last model sent counts (an older one's is followed by it);
   * returns whether the peer is ready now. */
  markReady(id: string, version: number): boolean {
    const p = this.peers.get(id);
    if (!p || version !== p.sentVersion) return false;
    p.state = 'ready';
    return true;
  }

  /** A result of this peer for `round` arrived, current or late, used or not. Its late result for the round it
   * missed (or a later one) proves it still computes and re-arms it; a stale result of an older round does not,
   * so a peer cannot miss every deadline and get work again with old results. */
  recordResultArrival(id: string, round: number): void {
    const p = this.peers.get(id);
    if (!p) return;
    p.lastResultAt = Date.now();
    if (p.missedRound !== undefined && round >= p.missedRound) p.missedRound = undefined;
  }

  /** The peer missed `round`'s deadline: it gets no new work until its result for that round arrives. */
  markMissed(id: string, round: number): void {
    const p = this.peers.get(id);
    if (p) p.missedRound = round;
  }

  /** Peers holding the given model version and ready to train it. A peer that missed a deadline is left out
   * until its late result arrives, so a stuck peer costs one deadline, not one per round; a frozen one then
   * falls to the liveness sweep. */
  readyAt(version: number): PeerEntry<M>[] {
    return [...this.peers.values()].filter((p) => p.state === 'ready' && p.sentVersion === version && p.missedRound === undefined);
  }

  /** Peers with an open data channel that have received a model (they must receive every new one). */
  synced(): PeerEntry<M>[] {
    return [...this.peers.values()].filter((p) => p.state === 'ready' || p.state === 'syncing');
  }

  all(): PeerEntry<M>[] {
    return [...this.peers.values()];
  }

  /** Peers silent for longer than `timeoutMs` (no heartbeat, no result). */
  silentSince(timeoutMs: number, now = Date.now()): PeerEntry<M>[] {
    return [...this.peers.values()].filter((p) => now - p.lastSeen > timeoutMs);
  }

  recordContribution(id: string, bytes: number, elapsedMs: number): void {
    const p = this.peers.get(id);
    if (!p) return;
    p.roundsContributed += 1;
    p.rejectedInARow = 0;
    p.bytesContributed += bytes;
    const rate = elapsedMs > 0 ? (bytes * 1000) / elapsedMs : 0;
    // Exponential smoothing: one slow round (GC pause, tab in background) should not dominate.
    p.bytesPerSec = p.bytesPerSec === 0 ? rate : 0.7 * p.bytesPerSec + 0.3 * rate;
  }

  /** Counts a rejection; returns how many in a row this peer has now (0 if it is unknown). */
  recordRejection(id: string, reason: string): number {
    const p = this.peers.get(id);
    if (!p) return 0;
    p.rejected += 1;
    p.rejectedInARow += 1;
    p.lastRejection = reason;
    return p.rejectedInARow;
  }

  summaries(): PeerSummary[] {
    return this.all().map((p) => ({
      id: p.id,
      kind: p.kind,
      backend: p.backend,
      threads: p.threads,
      backendStepMs: p.backendStepMs,
      transport: p.transport,
      state: p.state,
      bytesPerSec: Math.round(p.bytesPerSec),
      roundsContributed: p.roundsContributed,
      bytesContributed: p.bytesContributed,
      rejected: p.rejected,
      lastRejection: p.lastRejection,
      lastSeen: new Date(p.lastSeen).toISOString(),
    }));
  }
}
