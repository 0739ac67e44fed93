// What the dashboard derives from /api/status to answer "is it working, and how good is it": the swarm's
// throughput over time, each peer's share of the work, and how long until the next validation and checkpoint.
// DOM-free, so it is unit-tested in Node.
import type { CoordinatorStatus, RoundRecord } from '../protocol/status.ts';

export interface ThroughputPoint {
  /** Minutes since the run started. */
  minutes: number;
  /** Trained bytes per second of wall-clock time over this round (waiting for peers included). */
  bytesPerSec: number;
}

/** One point per round: its bytes over the wall-clock time since the previous round ended. */
export function swarmThroughput(rounds: RoundRecord[], startedAt: string): ThroughputPoint[] {
  const start = Date.parse(startedAt);
  return rounds.map((r, i) => {
    const end = Date.parse(r.at);
    const previous = i > 0 ? Date.parse(rounds[i - 1]!.at) : end - r.durationMs;
    const seconds = Math.max(end - previous, r.durationMs, 1) / 1000;
    return { minutes: (end - start) / 60_000, bytesPerSec: r.bytes / seconds };
  });
}

/** Each peer's share of the bytes the peers now connected have contributed (0 for all when none has). */
export function peerShares(peers: CoordinatorStatus['peers']): Map<string, number> {
  const total = peers.reduce((s, p) => s + p.bytesContributed, 0);
  return new Map(peers.map((p) => [p.id, total > 0 ? p.bytesContributed / total : 0]));
}

/** Mean wall-clock time per round over the recent rounds, or undefined with fewer than two. */
export function msPerRound(rounds: RoundRecord[]): number | undefined {
  if (rounds.length < 2) return undefined;
  const first = Date.parse(rounds[0]!.at);
  const last = Date.parse(rounds.at(-1)!.at);
  return (last - first) / (rounds.length - 1);
}

/** "in 3 rounds (~12 s)", "after this round", or "never" for an event every `every` rounds (0: never). */
export function countdown(round: number, every: number, roundMs: number | undefined): string {
  if (!(every > 0)) return 'never';
  const left = every - (round % every);
  const when = roundMs === undefined ? '' : ` (~${formatDuration(left * roundMs)})`;
  return `in ${left} round${left === 1 ? '' : 's'}${when}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
