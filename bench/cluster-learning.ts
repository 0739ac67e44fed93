// bench:cluster's learning curves: held-out bpb against wall time for one process and for a coordinator with
// N Node peers, same preset, recipe, data order and held-out set, the learning rate held (no decay: a swarm
// run is open-ended). The cluster's weights are snapshotted at fixed times and scored after the run, so
// scoring takes no CPU from training. Reports when the cluster first reaches the one-process final bpb.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator } from '../coordinator/http/server.ts';
import { loadCorpus } from '../data/corpus.ts';
import { Dataset } from '../data/dataset.ts';
import { runBudgeted, type CurvePoint } from '../model/budgeted-run.ts';
import { setupBackend } from '../model/backend.ts';
import { resolveConfig, type PresetName } from '../model/config.ts';
import { bitsPerByte } from '../model/evaluate.ts';
import { RECIPES, recipeSchedule } from '../model/recipe.ts';
import { StlmModel } from '../model/stlm.ts';
import { LocalTrainer } from '../model/trainer.ts';
import type { LrSchedule } from '../model/schedule.ts';

export interface LearningCurves {
  budgetSeconds: number;
  peers: number;
  localSteps: number;
  singleProcess: { curve: CurvePoint[]; finalBpb: number; bytesPerSecond: number };
  cluster: { curve: Array<{ seconds: number; bytesSeen: number; rounds: number; valBpb: number }>; bytesPerSecond: number };
  /** Seconds until the cluster's held-out bpb first reached the one-process final bpb (interpolated), or null. */
  clusterReachesSingleFinalAt: number | null;
  /** That time over the budget: the target is <= 0.6. */
  timeRatio: number | null;
}

const POINTS = 10;

interface LearningOptions {
  preset: PresetName; seconds: number; peers: number; logger: Logger; log: (m: string) => void;
  spawnPeer: (url: string, token: string) => ChildProcess;
  /** The cluster's local steps per round (1: synchronous data parallel). */
  localSteps?: number;
}

interface Snapshot {
  seconds: number;
  bytesSeen: number;
  rounds: number;
  weights: Float32Array;
}

/**
 * Runs the coordinator with `peers` peer processes for `seconds` of training and snapshots its master weights
 * POINTS times along the way (scored afterwards, off the clock).
 */
async function clusterSnapshots(opts: LearningOptions & { localSteps: number; schedule: LrSchedule }): Promise<Snapshot[]> {
  const { preset, seconds, peers, localSteps, schedule } = opts;
  const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-bench-learn-'));
  const settings = loadSettings({
    overrides: {
      port: 0, host: '127.0.0.1', preset, minPeers: peers, localSteps, evalEvery: 0, checkpointEvery: 0, runDir, token: 'bench',
      schedule: { ...schedule, totalSteps: Number.MAX_SAFE_INTEGER }, seed: 1,
    },
  });
  const snapshots: Snapshot[] = [];
  let t0 = -1;
  let bytesSeen = 0;
  let rounds = 0;
  let stopping: Promise<void> | undefined;
  const coord = await startCoordinator(settings, {
    logger: opts.logger,
    onRound: (record, detail) => {
      const now = performance.now() / 1000;
      // The clock starts when the first round starts: joining and the first model download are not training.
      if (t0 < 0) {
        t0 = now - (detail.waitMs + detail.aggregateMs + detail.broadcastMs) / 1000;
        snapshots.push({ seconds: 0, bytesSeen: 0, rounds: 0, weights: initialWeights });
      }
      bytesSeen += record.bytes;
      rounds++;
      const elapsed = now - t0;
      if (elapsed >= (snapshots.length * seconds) / POINTS && snapshots.length <= POINTS) {
        snapshots.push({ seconds: elapsed, bytesSeen, rounds, weights: coord.run.state.weights.slice() });
      }
      if (snapshots.length > POINTS) stopping ??= coord.run.stop();
    },
  });
  const initialWeights = coord.run.state.weights.slice();
  const children = Array.from({ length: peers }, () => opts.spawnPeer(coord.url, 'bench'));
  try {
    await coord.run.finished;
    await stopping;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await coord.close();
    rmSync(runDir, { recursive: true, force: true });
  }
  return snapshots;
}

export async function learningCurves(opts: LearningOptions): Promise<LearningCurves> {
  const { preset, seconds, peers, log } = opts;
  const localSteps = opts.localSteps ?? 1;
  await setupBackend('wasm');
  const cfg = resolveConfig(preset);
  const recipe = RECIPES[preset];
  const corpus = await loadCorpus();
  const data = Dataset.fromCorpus(corpus.bytes, cfg, { seed: 1 });
  const heldOut = data.validationExamples();
  const schedule = recipeSchedule(recipe);

  log(`learning: one process, ${preset}, ${seconds} s`);
  const model = StlmModel.create(cfg, 1);
  const single = await runBudgeted({
    trainer: new LocalTrainer({ model, schedule }),
    nextBatch: () => data.nextBatch(recipe.batch).examples,
    seconds, evaluations: POINTS, decay: false,
    evaluate: () => bitsPerByte(model, heldOut, 32),
  });
  const singleFinal = single.curve.at(-1)!.valBpb;

  log(`learning: coordinator + ${peers} peers, ${localSteps} local step(s) a round, ${seconds} s`);
  const snapshots = await clusterSnapshots({ ...opts, localSteps, schedule });
  const curve = snapshots.map((s) => {
    model.setWeights(s.weights);
    return { seconds: s.seconds, bytesSeen: s.bytesSeen, rounds: s.rounds, valBpb: bitsPerByte(model, heldOut, 32) };
  });
  model.dispose();
  const reachedAt = firstReach(curve, singleFinal);
  const last = curve.at(-1)!;
  return {
    budgetSeconds: seconds,
    peers,
    localSteps,
    singleProcess: { curve: single.curve, finalBpb: singleFinal, bytesPerSecond: single.bytesSeen / single.seconds },
    cluster: { curve, bytesPerSecond: last.bytesSeen / last.seconds },
    clusterReachesSingleFinalAt: reachedAt,
    timeRatio: reachedAt === null ? null : reachedAt / seconds,
  };
}

/** The first time the curve is at or below `target`, interpolated linearly between its points. */
function firstReach(curve: Array<{ seconds: number; valBpb: number }>, target: number): number | null {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1]!;
    const b = curve[i]!;
    if (b.valBpb <= target) return a.seconds + ((a.valBpb - target) / (a.valBpb - b.valBpb)) * (b.seconds - a.seconds);
  }
  return null;
}
