// Liveness: a peer silent past the timeout is dropped (its batch is requeued by the round). If this process
// itself was blocked (a long validation), the timer fires late and the silence is ours, not the peers'.

export interface LivenessOptions<P extends { id: string }> {
  timeoutMs: number;
  everyMs: number;
  /** Peers with no message since `now - timeoutMs`. */
  silentSince(timeoutMs: number, now: number): P[];
  /** A peer deep in a long training step cannot send heartbeats (tfjs blocks its thread); the round
   *  deadline bounds it instead. */
  isWorking(id: string): boolean;
  drop(peer: P, reason: string): void;
}

/** Starts the sweep; returns its stop function. */
export function startLivenessSweep<P extends { id: string }>(o: LivenessOptions<P>): () => void {
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const lag = now - last - o.everyMs;
    last = now;
    if (lag > o.everyMs) return;
    for (const p of o.silentSince(o.timeoutMs, now)) {
      if (!o.isWorking(p.id)) o.drop(p, `no message for ${o.timeoutMs} ms`);
    }
  }, o.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
