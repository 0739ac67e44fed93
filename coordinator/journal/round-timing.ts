// Figures of the status contract (protocol/status.ts) that the coordinator computes.
import type { RoundTiming } from '../../protocol/status.ts';

/** Splits a round's wall time from its detail (waitMs covers compute + transfer of the slowest peer). */
export function roundTiming(d: { waitMs: number; aggregateMs: number; broadcastMs: number; accepted: Array<{ computeMs: number; encodeMs: number }> }): RoundTiming {
  const computeMs = d.accepted.reduce((m, a) => Math.max(m, a.computeMs + a.encodeMs), 0);
  return { computeMs, transferMs: Math.max(0, d.waitMs - computeMs), aggregationMs: d.aggregateMs, broadcastMs: d.broadcastMs };
}
