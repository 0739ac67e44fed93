// The first part of a round: every peer gets its distinct batches of the current model version, and the round
// learns what each one owes (batches, the most scored bytes it may claim) and by when.
import type { Logger } from 'pino';
import type { Dataset } from '../../data/dataset.ts';
import type { Message } from '../../protocol/messages.ts';
import { roundDeadlineMs, type DeadlineEstimator } from './deadline.ts';
import type { PeerEntry, PeerRegistry } from '../peers/registry.ts';
import { RoundCollector, type RoundAssignment } from './collector.ts';
import type { RoundDetail } from './detail.ts';
import type { MasterState } from '../optimizer/master-state.ts';

/** A peer may claim up to 1024 threads; it gets at most this many batches a round. */
const MAX_BATCHES_PER_THREADED_PEER = 8;

/** What the collector keeps of a result: the gradient itself is folded into the round's aggregate on arrival. */
export interface ResultPayload {
  computeMs: number;
  encodeMs: number;
}

/** A round's assignments as sent: who owes which batches (and examples), collected until the deadline. */
export interface SentRound {
  collector: RoundCollector<ResultPayload>;
  assignments: Map<string, RoundAssignment>;
  examplesOf: Map<string, Uint8Array[]>;
  deadlineMs: number;
}

export interface AssignOptions {
  peers: PeerEntry<Message>[];
  state: MasterState;
  dataset: Dataset;
  registry: PeerRegistry<Message>;
  deadline: DeadlineEstimator;
  logger: Logger;
  batchSize: number;
  localSteps: number;
  detail: RoundDetail;
  /** Called with the round's collector before the first assignment goes out. */
  register(collector: RoundCollector<ResultPayload>): void;
}

export function assignRound(o: AssignOptions): SentRound {
  const { state, dataset, registry, logger, detail } = o;
  const round = state.round;
  const version = state.version;
  const assignments = new Map<string, RoundAssignment>();
  const examplesOf = new Map<string, Uint8Array[]>();
  const collector = new RoundCollector<ResultPayload>(round, version, assignments);
  o.register(collector);
  const deadlines: number[] = [];
  const steps = Math.max(1, o.localSteps);
  const lr = state.innerLearningRate();
  for (const p of o.peers) {
    const batches = [];
    let maxBytes = 0;
    // A multi-threaded peer trains one batch per thread in one gradient, as that many one-thread peers would.
    const count = steps > 1 ? steps : Math.min(MAX_BATCHES_PER_THREADED_PEER, p.threads);
    for (let h = 0; h < count; h++) {
      const b = dataset.nextBatch(o.batchSize);
      batches.push({ batchId: b.batchId, examples: b.examples });
      // A peer cannot claim more scored bytes than its examples hold (plus one end-of-document each).
      for (const ex of b.examples) maxBytes += ex.length + 1;
    }
    const batchIds = batches.map((b) => b.batchId);
    assignments.set(p.id, { batchIds, maxBytes });
    examplesOf.set(p.id, batches.flatMap((b) => b.examples));
    detail.assigned.push({ peerId: p.id, batchIds });
    deadlines.push(o.deadline.deadlineMs(p.id, maxBytes));
    const msg: Message = { type: 'assignment', round, version, batches, lr, localSteps: steps, roundPeers: o.peers.length };
    for (const b of batches) for (const ex of b.examples) detail.wireBytesOut += ex.length;
    try {
      p.link.send(msg);
    } catch (e) {
      logger.warn({ peer: p.id, err: (e as Error).message }, 'could not send assignment; dropping peer');
      registry.remove(p.id);
    }
  }
  return { collector, assignments, examplesOf, deadlineMs: roundDeadlineMs(deadlines) };
}
