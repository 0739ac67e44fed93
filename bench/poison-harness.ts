// The poisoning harness behind bench:poison and test/poison-rules.test.ts: a round loop in this process on
// the real model (tiny preset), with the coordinator's own parts doing the work that matters: the same
// RoundAggregation (codec check, replay guard, decode, norm screen, streaming aggregation rule), NormHistory
// and MasterState (AdamW in sync mode, outer Nesterov in local-steps mode) as coordinator/rounds/round-loop.ts.
// Honest peers compute real gradients (or H inner AdamW steps, exactly as peer/core/peer-trainer.ts does) and
// encode them with error feedback; bad peers send one of the attacks below. No processes, no network: the
// point is the rule's effect on learning, measured as validation bits per byte after a fixed number of rounds.
import { Dataset } from '../data/dataset.ts';
import { AdamW } from '../model/adamw.ts';
import { bitsPerByte } from '../model/evaluate.ts';
import { decayMaskFromManifest } from '../model/params.ts';
import type { StlmConfig } from '../model/config.ts';
import { StlmModel } from '../model/stlm.ts';
import { Prng } from '../model/prng.ts';
import { codecByName, ErrorFeedback } from '../protocol/codecs/index.ts';
import { createAggregator, l2Norm, NormHistory, type AggregatorName } from '../coordinator/aggregate/index.ts';
import { MasterState } from '../coordinator/optimizer/master-state.ts';
import { RoundAggregation } from '../coordinator/rounds/round-aggregation.ts';
import { ReplayGuard } from '../coordinator/rounds/replay-guard.ts';
import { DEFAULT_SETTINGS } from '../coordinator/settings/settings.ts';
import type { SplitExamples } from '../data/split.ts';

export const ATTACKS = ['none', 'flt-max', 'negated-10x', 'noise', 'replay'] as const;
export type Attack = (typeof ATTACKS)[number];
export type Mode = 'sync' | 'local-steps';

export interface PoisonEnv {
  cfg: StlmConfig;
  split: SplitExamples;
  validation: Uint8Array[];
}

export interface PoisonRun {
  rule: AggregatorName;
  attack: Attack;
  mode: Mode;
  peers: number;
  bad: number;
  rounds: number;
  /** Inner steps per round in local-steps mode. */
  localSteps: number;
  batchSize: number;
  codec: string;
  seed: number;
}

export interface PoisonOutcome {
  valBpb: number;
  /** Contributions refused, and rounds whose step could not be taken. */
  rejected: number;
  droppedRounds: number;
  weightsFinite: boolean;
}

interface HonestPeer {
  feedback: ErrorFeedback;
  inner: AdamW | undefined;
}

/** One run: `rounds` rounds with `peers` peers of which the last `bad` attack. */
export function runPoison(env: PoisonEnv, run: PoisonRun): PoisonOutcome {
  const model = StlmModel.create(env.cfg, run.seed);
  const localSteps = run.mode === 'sync' ? 1 : run.localSteps;
  const state = new MasterState({
    weights: model.getWeights(), localSteps, aggregator: run.rule, trimFraction: DEFAULT_SETTINGS.trimFraction,
    // A short warmup: a few rounds must already move the model.
    schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 2, totalSteps: 10_000 },
    adamw: { ...DEFAULT_SETTINGS.adamw, decayMask: decayMaskFromManifest(model.manifest) },
    outer: DEFAULT_SETTINGS.outer,
  });
  const aggregator = createAggregator(run.rule, { trimFraction: DEFAULT_SETTINGS.trimFraction });
  const history = new NormHistory();
  const replays = new ReplayGuard();
  // The same batches for the honest peers in every run of this seed: they take theirs first each round.
  const data = new Dataset(env.split, { seed: run.seed });
  const codec = codecByName(run.codec);
  const peers: HonestPeer[] = Array.from({ length: run.peers }, () => ({ feedback: new ErrorFeedback(codec, model.numParams), inner: undefined }));
  const rand = new Prng(run.seed + 1000);
  let previousHonestPayload: Uint8Array | undefined;
  const out: PoisonOutcome = { valBpb: Number.NaN, rejected: 0, droppedRounds: 0, weightsFinite: true };
  for (let round = 0; round < run.rounds; round++) {
    const agg = new RoundAggregation({ round, numParams: state.numParams, codec: run.codec, aggregator, history, replays });
    const lr = state.innerLearningRate();
    let honestNorm = 0;
    let firstHonestPayload: Uint8Array | undefined;
    for (let p = 0; p < run.peers; p++) {
      const isBad = p >= run.peers - run.bad;
      const examples = Array.from({ length: localSteps }, () => nextBatch(data, run.batchSize));
      let payload: Uint8Array;
      let bytes: number;
      let loss: number;
      if (!isBad || run.attack === 'none' || run.attack === 'negated-10x' || (run.attack === 'replay' && !previousHonestPayload)) {
        const r = honestWork(model, state.weights, examples, peers[p]!, lr);
        ({ bytes, loss } = r);
        if (!isBad || run.attack === 'none') {
          honestNorm ||= l2Norm(r.vector);
          payload = peers[p]!.feedback.encode(r.vector);
          firstHonestPayload ??= payload;
        } else if (run.attack === 'negated-10x') payload = codec.encode(r.vector.map((x) => -10 * x));
        else payload = peers[p]!.feedback.encode(r.vector);
      } else {
        bytes = examples.flat().reduce((s, e) => s + e.length, 0);
        loss = 2;
        payload = badPayload(run.attack, codec, state.numParams, honestNorm, previousHonestPayload, rand);
      }
      agg.offer({ peerId: `p${p}`, bytes, loss, payload: { gradient: payload } });
    }
    previousHonestPayload = firstHonestPayload;
    const { update, accepted, rejected } = agg.finish();
    out.rejected += rejected.length;
    if (!update) continue;
    try {
      state.applyUpdate(update);
      history.record(accepted.map((a) => a.norm));
    } catch {
      out.droppedRounds++;
    }
  }
  out.weightsFinite = state.weights.every(Number.isFinite);
  model.setWeights(state.weights);
  out.valBpb = bitsPerByte(model, env.validation, 32);
  model.dispose();
  return out;
}

function nextBatch(data: Dataset, size: number): Uint8Array[] {
  const b = data.nextBatch(size);
  data.complete(b.batchId);
  return b.examples;
}

/** What an honest peer sends: its gradient (sync) or old − new weights after H inner AdamW steps. */
function honestWork(model: StlmModel, weights: Float32Array, batches: Uint8Array[][], peer: HonestPeer, lr: number) {
  model.setWeights(weights);
  if (batches.length === 1) {
    const r = model.trainStep(batches[0]!);
    return { vector: r.grads, bytes: r.bytes, loss: r.loss };
  }
  peer.inner ??= new AdamW(model.numParams, { ...DEFAULT_SETTINGS.adamw, decayMask: decayMaskFromManifest(model.manifest) });
  const w = weights.slice();
  let bytes = 0;
  let lossSum = 0;
  for (const b of batches) {
    const r = model.trainStep(b);
    peer.inner.step(w, r.grads, lr);
    model.setWeights(w);
    bytes += r.bytes;
    lossSum += r.loss * r.bytes;
  }
  const vector = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) vector[i] = weights[i]! - w[i]!;
  return { vector, bytes, loss: lossSum / bytes };
}

function badPayload(
  attack: Attack, codec: ReturnType<typeof codecByName>, n: number, honestNorm: number, replay: Uint8Array | undefined, rand: Prng,
): Uint8Array {
  switch (attack) {
    case 'flt-max':
      return codec.encode(new Float32Array(n).fill(3.4e38));
    case 'noise': {
      // Gaussian noise scaled to the norm of this round's first honest contribution.
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = rand.normal();
      const s = honestNorm / l2Norm(v);
      return codec.encode(v.map((x) => x * s));
    }
    case 'replay':
      // A byte-for-byte copy of an honest peer's result from the round before.
      return replay!.slice();
    default:
      throw new Error(`no bad payload for attack ${attack}`);
  }
}
