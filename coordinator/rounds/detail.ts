// What one round did, for the round hooks, the metrics, the journal and the benchmarks.

/** Per-round facts for logs, tests and the benchmark. */
export interface RoundDetail {
  assigned: Array<{ peerId: string; batchIds: number[] }>;
  accepted: Array<{
    peerId: string;
    batchIds: number[];
    /** The examples of those batches, in order (tests replay them in a single process). */
    examples: Uint8Array[];
    bytes: number;
    loss: number;
    computeMs: number;
    encodeMs: number;
  }>;
  rejected: Array<{ peerId: string; reason: string }>;
  /** Wall time: waiting for results (compute + encode + transfer), aggregating + stepping, broadcasting. */
  waitMs: number;
  aggregateMs: number;
  broadcastMs: number;
  /** Bytes sent to peers (assignments + model states) and received (results) this round. */
  wireBytesOut: number;
  wireBytesIn: number;
}
