// The synchronous data-parallel round loop. Each round: every ready peer holding the current model version
// gets distinct batches; the loop waits for all of them or the adaptive deadline; results for another version
// are never applied; the accepted results are screened, averaged by byte count and applied to the master
// weights (AdamW, or DiLoCo's outer Nesterov step in local-steps mode); the new full fp32 weights go out.
//
// The new weights go out as data, never as "apply this gradient yourself": peers need not replay the optimizer
// bit for bit (browsers and Node may round Math.pow/exp differently). With the fp32 codec that is the full
// fp32 weights (exact: a run equals one process); with a lossy codec a compressed delta against a replica
// the coordinator tracks (rounds/model-broadcast.ts), about 4x fewer bytes. Local-steps mode divides both by H.
import type { Logger } from 'pino';
import type { Message } from '../../protocol/messages.ts';
import type { PeerEntry, PeerRegistry } from '../peers/registry.ts';
import type { RoundCollector } from './collector.ts';
import { assignRound, type ResultPayload, type SentRound } from './assignment.ts';
import type { RoundDetail } from './detail.ts';
import type { Dataset } from '../../data/dataset.ts';
import type { DeadlineEstimator } from './deadline.ts';
import { RoundAggregation, type AggregatedRound } from './round-aggregation.ts';
import { ReplayGuard } from './replay-guard.ts';
import { NormHistory } from '../aggregate/norm-history.ts';
import { checkResultPayload } from './result-precheck.ts';
import { rejectResult } from '../peers/rejection-policy.ts';
import type { MasterState } from '../optimizer/master-state.ts';
import type { RoundRecord } from '../../protocol/status.ts';
import { broadcastCodecFor, ModelBroadcast, modelStateFor } from './model-broadcast.ts';

export interface RoundLoopOptions {
  state: MasterState;
  registry: PeerRegistry<Message>;
  dataset: Dataset;
  deadline: DeadlineEstimator;
  logger: Logger;
  batchSize: number;
  /** 1 = synchronous data parallel; H > 1 = H inner steps per peer per round (DiLoCo). */
  localSteps: number;
  /** The peers' gradient codec; it also picks how new weights go out (see rounds/model-broadcast.ts). */
  codec: string;
  /** A peer whose results are rejected this many times in a row is dropped. */
  maxRejectionsInARow: number;
  /** Rounds wait until at least this many peers hold the current model. */
  minPeers: number;
  /** Stop after this many rounds (Infinity: run until stopped). */
  maxRounds: number;
  /** Called after each applied (or empty) round, e.g. for evaluation, checkpoints and metrics. */
  afterRound?(record: RoundRecord, detail: RoundDetail): Promise<void> | void;
  /** Right after each optimizer step on the master weights, before they go out (gradual pruning's masks). */
  afterStep?(): void;
}


export class RoundLoop {
  private collector: RoundCollector<ResultPayload> | undefined;
  /** The round in progress's aggregate: results are folded in as they arrive (O(params), not O(peers x params)). */
  private aggregation: RoundAggregation | undefined;
  /** The norm bound known before each round, from the norms accepted in the last rounds. */
  private readonly normHistory = new NormHistory();
  /** Payloads seen, so that a byte-for-byte replay of an earlier result is refused. */
  private readonly replays = new ReplayGuard();
  private stopped = false;
  private wakePeers: (() => void) | undefined;
  waitingForPeers = false;
  /** An admin paused the run: no new round starts until resume(). */
  paused = false;

  private readonly broadcast: ModelBroadcast;

  constructor(private readonly o: RoundLoopOptions) {
    this.broadcast = new ModelBroadcast(o.state.weights, broadcastCodecFor(o.codec));
    o.registry.onRemoved((p) => {
      this.collector?.drop(p.id);
      o.deadline.forget(p.id);
    });
  }

  /** A peer's data channel is open: send it the current model; it joins the next round once ready. */
  admit(peer: PeerEntry<Message>): void {
    this.o.registry.markSyncing(peer.id);
    this.sendModel(peer);
  }

  /** A peer said it holds `version`: it takes part from the next round on. */
  markReady(peer: PeerEntry<Message>, version: number): void {
    if (this.o.registry.markReady(peer.id, version)) this.wakePeers?.();
  }

  /** Routes a result from a peer to the round in progress. Returns why it was not used, if it was not. */
  offerResult(peer: PeerEntry<Message>, msg: Extract<Message, { type: 'result' }>): string | undefined {
    const c = this.collector;
    if (!c) return 'no round in progress';
    // A stale result is dropped before anything reads its payload.
    if (msg.round !== c.round || msg.version !== c.version) return 'stale';
    // Checked on arrival, not at the round's end: a result that cannot be used is not kept, and its peer's
    // batches go back now instead of at the deadline.
    const bad = checkResultPayload(msg.gradient, this.o.state.numParams, this.o.codec);
    if (bad !== undefined) {
      c.drop(peer.id);
      return bad;
    }
    const outcome = c.offer(peer.id, {
      round: msg.round,
      version: msg.version,
      batchIds: msg.batchIds,
      bytes: msg.bytes,
      loss: msg.loss,
      payload: { computeMs: msg.computeMs, encodeMs: msg.encodeMs ?? 0 },
    });
    if (outcome !== 'accepted') return outcome;
    // Decoded, screened and folded in now; the payload is not kept. Refusals are counted when the round ends.
    const r = c.results.get(peer.id)!;
    this.aggregation?.offer({ peerId: peer.id, bytes: r.bytes, loss: r.loss, payload: { gradient: msg.gradient } });
    return undefined;
  }

  /** True while the peer owes a result for the round in progress (its deadline, not heartbeats, bounds it). */
  isWorking(peerId: string): boolean {
    const c = this.collector;
    return !!c && c.assignments.has(peerId) && !c.results.has(peerId);
  }

  /** The peer gave up on its assignment this round: stop waiting for it (its batches are requeued). */
  abandon(peerId: string): void {
    this.collector?.drop(peerId);
  }

  pause(): { paused: boolean } {
    this.paused = true;
    return { paused: true };
  }

  resume(): { paused: boolean } {
    this.paused = false;
    this.wakePeers?.();
    return { paused: false };
  }

  stop(): void {
    this.stopped = true;
    this.wakePeers?.();
    this.collector?.abort();
  }

  async run(): Promise<void> {
    const { state, registry } = this.o;
    while (!this.stopped && state.round < this.o.maxRounds) {
      const peers = registry.readyAt(state.version);
      if (this.paused || peers.length < Math.max(1, this.o.minPeers)) {
        await this.waitForPeers();
        continue;
      }
      await this.runRound(peers);
    }
  }

  private waitForPeers(): Promise<void> {
    this.waitingForPeers = true;
    return new Promise<void>((resolve) => {
      // Wake on a new ready peer, on stop, and at least once a second (peers may have synced meanwhile).
      const t = setTimeout(done, 1_000);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wakePeers = undefined;
        self.waitingForPeers = false;
        resolve();
      }
      this.wakePeers = done;
    });
  }

  private async runRound(peers: PeerEntry<Message>[]): Promise<void> {
    const { state, registry, logger } = this.o;
    const round = state.round;
    const version = state.version;
    const detail: RoundDetail = {
      assigned: [], accepted: [], rejected: [], waitMs: 0, aggregateMs: 0, broadcastMs: 0, wireBytesOut: 0, wireBytesIn: 0,
    };
    const aggregation = new RoundAggregation({
      round, numParams: state.numParams, codec: this.o.codec, aggregator: state.aggregator, history: this.normHistory, replays: this.replays,
    });
    this.aggregation = aggregation;
    const sent = assignRound({
      ...this.o, peers, detail,
      // Registered before sending, so that a peer dropped from here on is dropped from this round too.
      register: (collector) => (this.collector = collector),
    });
    const t0 = Date.now();
    await sent.collector.wait(sent.deadlineMs);
    this.collector = undefined;
    this.aggregation = undefined;
    detail.waitMs = Date.now() - t0;
    for (const id of sent.collector.latePeers()) {
      // The estimator slows its idea of this peer's speed, so its next deadline is longer.
      this.o.deadline.recordMiss(id, sent.assignments.get(id)!.maxBytes, sent.deadlineMs);
      registry.markMissed(id, round);
      logger.warn({ peer: id, round, deadlineMs: sent.deadlineMs }, 'peer missed the round deadline; its batches are requeued');
    }

    const t1 = Date.now();
    const aggregated = this.screen(aggregation, sent, detail);
    let accepted = aggregated.accepted;
    if (aggregated.update && !this.step(aggregated, sent, detail)) accepted = [];
    const { lossSum, bytes } = accepted.length > 0 ? this.book(accepted, sent, version, detail) : { lossSum: 0, bytes: 0 };
    state.round += 1;
    detail.aggregateMs = Date.now() - t1;

    const t2 = Date.now();
    if (accepted.length > 0) for (const p of registry.synced()) detail.wireBytesOut += this.sendModel(p);
    detail.broadcastMs = Date.now() - t2;

    const record: RoundRecord = {
      round, version: state.version, loss: bytes > 0 ? lossSum / bytes : Number.NaN, bytes, peers: accepted.length,
      rejected: detail.rejected.length, durationMs: Date.now() - t0, at: new Date().toISOString(),
    };
    state.bytesProcessed += bytes;
    logger.info(
      {
        round, version: state.version, loss: record.loss, bytes, peers: accepted.length, rejected: detail.rejected.length,
        waitMs: detail.waitMs, batches: detail.accepted.flatMap((a) => a.batchIds),
      },
      'round',
    );
    await this.o.afterRound?.(record, detail);
  }

  /** Ends the round's aggregation (rounds/round-aggregation.ts): its refusals are counted per peer, and the
   *  batches of rejected and missing results go back to the data set. */
  private screen(aggregation: RoundAggregation, sent: SentRound, detail: RoundDetail): AggregatedRound {
    const { state, dataset, registry, logger } = this.o;
    const screened = aggregation.finish();
    detail.rejected.push(...screened.rejected);
    detail.wireBytesIn += screened.wireBytesIn;
    const requeue = new Set(sent.collector.unfinishedBatchIds());
    for (const rej of detail.rejected) {
      rejectResult(registry, this.o.maxRejectionsInARow, { ...rej, notice: `round ${state.round}: ${rej.reason}` });
      for (const id of sent.assignments.get(rej.peerId)?.batchIds ?? []) requeue.add(id);
    }
    for (const id of requeue) dataset.requeue(id);
    if (requeue.size > 0) logger.info({ round: state.round, requeued: [...requeue] }, 'batches requeued');
    return screened;
  }

  /**
   * Steps the optimizer on the aggregate of the accepted results. A step that cannot be taken (the aggregate
   * overflows float32, the optimizer refuses it) drops the round, not the run: the master weights are as they
   * were, the contributions are rejected and counted, and their batches go back to the data set.
   */
  private step(aggregated: AggregatedRound, sent: SentRound, detail: RoundDetail): boolean {
    const { state, dataset, registry, logger } = this.o;
    const { accepted } = aggregated;
    try {
      // Every MasterOptimizer refuses a non-finite update before touching anything (its conformance suite).
      state.applyUpdate(aggregated.update!);
      this.normHistory.record(accepted.map((a) => a.norm));
      return true;
    } catch (e) {
      const reason = `round ${state.round} dropped: ${(e as Error).message}`;
      logger.error({ round: state.round, peers: accepted.map((c) => c.peerId) }, reason);
      for (const c of accepted) {
        detail.rejected.push({ peerId: c.peerId, reason });
        rejectResult(registry, this.o.maxRejectionsInARow, { peerId: c.peerId, reason, notice: reason });
        for (const id of sent.assignments.get(c.peerId)?.batchIds ?? []) dataset.requeue(id);
      }
      return false;
    }
  }

  /** After a step: the hooks, the broadcast's bookkeeping, and the accepted results booked; their loss and bytes. */
  private book(accepted: AggregatedRound['accepted'], sent: SentRound, version: number, detail: RoundDetail): { lossSum: number; bytes: number } {
    const { state, dataset, registry } = this.o;
    this.o.afterStep?.();
    this.broadcast.advance(version, state.version);
    let lossSum = 0;
    let bytes = 0;
    for (const c of accepted) {
      const r = sent.collector.results.get(c.peerId)!;
      lossSum += r.loss * r.bytes;
      bytes += r.bytes;
      for (const id of r.batchIds) dataset.complete(id);
      registry.recordContribution(c.peerId, r.bytes, r.elapsedMs);
      this.o.deadline.record(c.peerId, r.bytes, r.elapsedMs);
      detail.accepted.push({
        peerId: c.peerId, batchIds: r.batchIds, examples: sent.examplesOf.get(c.peerId)!, bytes: r.bytes, loss: r.loss,
        computeMs: r.payload.computeMs, encodeMs: r.payload.encodeMs,
      });
    }
    return { lossSum, bytes };
  }

  /** Sends the current model to one peer (a delta if it holds the previous version, in full if it replaces
   *  one still queued for a slow peer); returns the bytes sent. */
  private sendModel(p: PeerEntry<Message>): number {
    const { state, registry } = this.o;
    const target = { sentVersion: p.sentVersion, modelStatePending: p.link.modelStatePending?.() ?? false };
    const msg = modelStateFor(this.broadcast, target, state.version, state.round);
    try {
      p.link.send(msg);
      registry.markSent(p.id, state.version);
      return msg.weights.byteLength;
    } catch (e) {
      this.o.logger.warn({ peer: p.id, err: (e as Error).message }, 'could not send the model; dropping peer');
      registry.remove(p.id);
      return 0;
    }
  }
}
