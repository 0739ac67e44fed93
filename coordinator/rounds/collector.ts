// Collects the results of one synchronous round: which peer owes which batches, who answered, who vanished.
// It settles as soon as every assigned peer has either answered or been dropped, or when the deadline passes,
// so a peer that disappears never stalls the round past its deadline.

export interface RoundAssignment {
  batchIds: number[];
  /** Upper bound on the scored bytes this peer's batches can contain (its claimed byte count is clamped to it). */
  maxBytes: number;
}

export interface RoundResult<P> {
  peerId: string;
  batchIds: number[];
  /** Scored bytes as claimed by the peer, clamped to the assignment's maxBytes. */
  bytes: number;
  loss: number;
  payload: P;
  /** Milliseconds from sending the assignment to receiving the result. */
  elapsedMs: number;
}

export type AcceptOutcome = 'accepted' | 'stale' | 'unassigned' | 'duplicate' | 'wrong-batches';

export class RoundCollector<P> {
  readonly results = new Map<string, RoundResult<P>>();
  private readonly dropped = new Set<string>();
  private readonly startedAt = Date.now();
  private settled = false;
  private wake: (() => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly round: number,
    readonly version: number,
    readonly assignments: ReadonlyMap<string, RoundAssignment>,
  ) {}

  /** Offers a result; only a result for this round and version, for exactly the batches assigned, counts. */
  offer(
    peerId: string,
    r: { round: number; version: number; batchIds: number[]; bytes: number; loss: number; payload: P },
  ): AcceptOutcome {
    if (r.round !== this.round || r.version !== this.version) return 'stale';
    const a = this.assignments.get(peerId);
    if (this.results.has(peerId)) return 'duplicate';
    if (!a || this.dropped.has(peerId) || this.settled) return 'unassigned';
    if (r.batchIds.length !== a.batchIds.length || r.batchIds.some((id, i) => id !== a.batchIds[i])) {
      return 'wrong-batches';
    }
    const bytes = Math.max(0, Math.min(r.bytes, a.maxBytes));
    this.results.set(peerId, {
      peerId,
      batchIds: a.batchIds,
      bytes,
      loss: r.loss,
      payload: r.payload,
      elapsedMs: Date.now() - this.startedAt,
    });
    this.check();
    return 'accepted';
  }

  /** A peer left, failed or sent garbage: it no longer counts toward completion. */
  drop(peerId: string): void {
    if (!this.assignments.has(peerId) || this.results.has(peerId)) return;
    this.dropped.add(peerId);
    this.check();
  }

  /** Waits until all assigned peers answered or were dropped, or `deadlineMs` passed. */
  wait(deadlineMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.settled) return resolve();
      this.wake = resolve;
      this.timer = setTimeout(() => this.settle(), deadlineMs);
      this.check();
    });
  }

  /** Batches whose results did not arrive (dropped or late peers): these go back to the dataset. */
  unfinishedBatchIds(): number[] {
    const out: number[] = [];
    for (const [peerId, a] of this.assignments) if (!this.results.has(peerId)) out.push(...a.batchIds);
    return out;
  }

  /** Peers that were assigned work and neither answered nor were dropped (they missed the deadline). */
  latePeers(): string[] {
    return [...this.assignments.keys()].filter((id) => !this.results.has(id) && !this.dropped.has(id));
  }

  /** Ends the wait now (the coordinator is stopping). */
  abort(): void {
    this.settle();
  }

  private check(): void {
    if (this.settled) return;
    for (const id of this.assignments.keys()) if (!this.results.has(id) && !this.dropped.has(id)) return;
    this.settle();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.wake?.();
  }
}
