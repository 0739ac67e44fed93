// Who is connected, in which state, and what each peer has done: the source of /api/status's peer list and
// of the round loop's choice of participants.
import type { ErrorCode } from '../protocol/errors.ts';

export type PeerState = 'connecting' | 'syncing' | 'ready' | 'gone';

export interface PeerLinkLike<M> {
  send(msg: M): void;
}

export interface PeerEntry<M> {
  id: string;
  kind: string;
  backend: string;
  /** Threads the peer trains with (from join's capabilities, then each ready). */
  threads: number;
  /** A tab's backend check: training step milliseconds per backend it ran. */
  backendStepMs: Partial<Record<string, number>> | undefined;
  state: PeerState;
  joinedAt: number;
  lastSeen: number;
  /** Set when the data channel opens. */
  link: PeerLinkLike<M> | undefined;
  /** Model version most recently sent to this peer (full weights), -1 before the first. */
  sentVersion: number;
  /** Trained (scored) bytes per second, smoothed over recent rounds. */
  bytesPerSec: number;
  roundsContributed: number;
  bytesContributed: number;
  rejected: number;
  /** Rejections since this peer's last accepted result (a peer that keeps failing is dropped). */
  rejectedInARow: number;
  /** Last reason a result from this peer was rejected or a message was invalid. */
  lastRejection: string | undefined;
  /** When this peer last missed a round's deadline; it gets no new work until a result of it arrives again. */
  missedAt: number | undefined;
  /** When this peer's last result (current or late) arrived. */
  lastResultAt: number;
  /** Ends this peer's session with a coded error (set by the session that owns the peer). */
  kick: ((code: ErrorCode, reason: string) => void) | undefined;
}

export interface PeerSummary {
  id: string;
  kind: string;
  backend: string;
  threads: number;
  backendStepMs: Partial<Record<string, number>> | undefined;
  state: PeerState;
  bytesPerSec: number;
  roundsContributed: number;
  bytesContributed: number;
  rejected: number;
  lastRejection: string | undefined;
  lastSeen: string;
}

export class PeerRegistry<M> {
  private readonly peers = new Map<string, PeerEntry<M>>();
  private listeners: Array<(p: PeerEntry<M>) => void> = [];

  add(init: { id: string; kind: string; backend: string; threads?: number; backendStepMs?: Partial<Record<string, number>> }): PeerEntry<M> {
    const now = Date.now();
    const entry: PeerEntry<M> = {
      ...init,
      threads: init.threads ?? 1,
      backendStepMs: init.backendStepMs,
      state: 'connecting',
      joinedAt: now,
      lastSeen: now,
      link: undefined,
      sentVersion: -1,
      bytesPerSec: 0,
      roundsContributed: 0,
      bytesContributed: 0,
      rejected: 0,
      rejectedInARow: 0,
      lastRejection: undefined,
      kick: undefined,
      missedAt: undefined,
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
    p.link = undefined;
    this.peers.delete(id);
    for (const l of this.listeners) l(p);
  }

  onRemoved(cb: (p: PeerEntry<M>) => void): void {
    this.listeners.push(cb);
  }

  touch(id: string): void {
    const p = this.peers.get(id);
    if (p) p.lastSeen = Date.now();
  }

  /** Peers holding the given model version and ready to train it. A peer that missed a deadline is left out
   * until a result of it arrives (its late one proves it still computes), so a stuck peer costs one deadline,
   * not one per round; a frozen one then falls to the liveness sweep. */
  readyAt(version: number): PeerEntry<M>[] {
    return [...this.peers.values()].filter(
      (p) =>
        p.state === 'ready' && p.sentVersion === version && p.link && (p.missedAt === undefined || p.lastResultAt >= p.missedAt),
    );
  }

  /** Peers with an open data channel that have received a model (they must receive every new one). */
  synced(): PeerEntry<M>[] {
    return [...this.peers.values()].filter((p) => (p.state === 'ready' || p.state === 'syncing') && p.link);
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
