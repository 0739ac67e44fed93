// `npm run bench:cluster`: training throughput on loopback, JSON on stdout.
//  - trained bytes/s of one in-process LocalTrainer vs the coordinator with 1 and 2 Node peers (child processes),
//    and with one Node peer on 2 worker threads (`stlm peer --threads 2`) against those two one-thread peers
//  - the share of a round spent computing, encoding, in transfer, aggregating and broadcasting
//  - bytes on the wire per trained byte for each gradient codec and for local-steps mode
//  - learning curves: held-out bpb against wall time, one process vs coordinator + 2 peers (cluster-learning.ts)
// Flags: --preset NAME (default: the default preset), --rounds N (default 4), --batch-size N (default 8),
// --local-steps H1,H2 (default 4,32: the local-steps modes whose wire bytes are measured),
// --learning-seconds S (default 300; 0 skips the learning curves), --learning-local-steps H (default 1).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator } from '../coordinator/http/server.ts';
import type { RoundDetail } from '../coordinator/rounds/detail.ts';
import type { RoundRecord } from '../protocol/status.ts';
import { loadCorpus } from '../data/corpus.ts';
import { DEFAULT_PRESET, resolveConfig, type PresetName } from '../model/config.ts';
import { learningCurves } from './cluster-learning.ts';
import { splitIntoExamples } from '../model/bytes.ts';
import { StlmModel } from '../model/stlm.ts';
import { LocalTrainer } from '../model/trainer.ts';
import { setupBackend } from '../model/backend.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const PRESET = flag('preset', DEFAULT_PRESET);
const ROUNDS = Number(flag('rounds', '4'));
const LOCAL_STEPS = flag('local-steps', '4,32').split(',').map(Number);
if (LOCAL_STEPS.some((h) => !Number.isInteger(h) || h < 2)) throw new Error('--local-steps: comma-separated integers >= 2');
const BATCH = Number(flag('batch-size', '8'));
const LEARNING_SECONDS = Number(flag('learning-seconds', '300'));
const LEARNING_LOCAL_STEPS = Number(flag('learning-local-steps', '1'));
const ROOT = path.resolve(import.meta.dirname, '..');
const logger = pino({ level: 'warn' }, pino.destination(2));
const progress = (msg: string) => process.stderr.write(`[bench:cluster] ${msg}\n`);

interface ClusterResult {
  peers: number;
  threadsPerPeer: number;
  codec: string;
  localSteps: number;
  rounds: number;
  trainedBytesPerSec: number;
  /** Bytes on the wire (both directions) per trained byte. */
  wireBytesPerTrainedByte: number;
  wireBytesPerRound: number;
  roundShare: { compute: number; encode: number; transfer: number; aggregate: number; broadcast: number };
  meanRoundMs: number;
}

async function singleProcess(): Promise<{ bytesPerSec: number; stepMs: number; steps: number }> {
  await setupBackend('wasm');
  const cfg = resolveConfig(PRESET);
  const examples = splitIntoExamples((await loadCorpus()).bytes.subarray(0, 2_000_000), cfg);
  const settings = await loadSettings({ overrides: { preset: PRESET } });
  const trainer = new LocalTrainer({ model: StlmModel.create(cfg, 1), schedule: settings.schedule, optimizer: settings.adamw });
  trainer.step(examples.slice(0, BATCH)); // warm-up (kernel compilation)
  let bytes = 0;
  const t0 = performance.now();
  const steps = ROUNDS;
  for (let i = 0; i < steps; i++) bytes += trainer.step(examples.slice((i + 1) * BATCH, (i + 2) * BATCH)).bytes;
  const ms = performance.now() - t0;
  trainer.model.dispose();
  return { bytesPerSec: (bytes * 1000) / ms, stepMs: ms / steps, steps };
}

function spawnPeer(url: string, token: string, threads = 1): ChildProcess {
  const argv = ['peer', '--url', url, '--token', token, '--threads', String(threads), '--no-progress', '--log-level', 'warn'];
  return spawn(process.execPath, [path.join(ROOT, 'bin/stlm.mjs'), ...argv], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function cluster(peers: number, codec: string, localSteps: number, rounds = ROUNDS, threadsPerPeer = 1): Promise<ClusterResult> {
  const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-bench-'));
  const warmup = 1;
  const settings = await loadSettings({
    overrides: {
      port: 0, host: '127.0.0.1', preset: PRESET, codec, localSteps, batchSize: BATCH, minPeers: peers,
      maxRounds: rounds + warmup, evalEvery: 0, checkpointEvery: 0, runDir, token: 'bench',
      // Long local-steps rounds: the first one runs before any speed is measured.
      deadline: { defaultMs: 600_000 },
    },
  });
  const seen: Array<{ record: RoundRecord; detail: RoundDetail; endedAt: number }> = [];
  const coord = await startCoordinator(settings, {
    logger,
    onRound: (record, detail) => seen.push({ record, detail, endedAt: performance.now() }),
  });
  const children = Array.from({ length: peers }, () => spawnPeer(coord.url, 'bench', threadsPerPeer));
  try {
    await coord.run.finished;
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await coord.close();
    rmSync(runDir, { recursive: true, force: true });
  }
  const timed = seen.slice(warmup);
  const spanMs = timed.at(-1)!.endedAt - seen[warmup - 1]!.endedAt;
  const bytes = timed.reduce((s, r) => s + r.record.bytes, 0);
  const wire = timed.reduce((s, r) => s + r.detail.wireBytesIn + r.detail.wireBytesOut, 0);
  const share = { compute: 0, encode: 0, transfer: 0, aggregate: 0, broadcast: 0 };
  let total = 0;
  for (const { detail } of timed) {
    // Peers work in parallel: a round's compute/encode time is its slowest peer's.
    const compute = Math.max(0, ...detail.accepted.map((a) => a.computeMs));
    const encode = Math.max(0, ...detail.accepted.map((a) => a.encodeMs));
    const transfer = Math.max(0, detail.waitMs - compute - encode);
    share.compute += compute;
    share.encode += encode;
    share.transfer += transfer;
    share.aggregate += detail.aggregateMs;
    share.broadcast += detail.broadcastMs;
    total += compute + encode + transfer + detail.aggregateMs + detail.broadcastMs;
  }
  for (const k of Object.keys(share) as Array<keyof typeof share>) share[k] = round3(share[k] / Math.max(1, total));
  return {
    peers, threadsPerPeer, codec, localSteps, rounds: timed.length,
    trainedBytesPerSec: Math.round((bytes * 1000) / spanMs),
    wireBytesPerTrainedByte: round3(wire / Math.max(1, bytes)),
    wireBytesPerRound: Math.round(wire / timed.length),
    roundShare: share,
    meanRoundMs: Math.round(spanMs / timed.length),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const startedAt = new Date().toISOString();
progress(`single process, preset ${PRESET}, batch ${BATCH}`);
const single = await singleProcess();
const throughput: ClusterResult[] = [];
for (const n of [1, 2]) {
  progress(`coordinator + ${n} Node peer(s), int8`);
  throughput.push(await cluster(n, 'int8', 1));
}
progress('coordinator + 1 Node peer with --threads 2, int8');
throughput.push(await cluster(1, 'int8', 1, ROUNDS, 2));
const wire: ClusterResult[] = [];
for (const codec of ['fp32', 'fp16', 'topk']) {
  progress(`wire bytes, codec ${codec}`);
  wire.push(await cluster(1, codec, 1));
}
wire.push(throughput[0]!);
for (const h of LOCAL_STEPS) {
  // Bytes per round do not depend on the round, so long local-steps rounds are timed fewer times.
  progress(`wire bytes, local-steps ${h} (int8)`);
  wire.push(await cluster(1, 'int8', h, Math.max(1, Math.min(ROUNDS, Math.round(32 / h)))));
}
const learning = LEARNING_SECONDS > 0
  ? await learningCurves({
    preset: PRESET as PresetName, seconds: LEARNING_SECONDS, peers: 2, localSteps: LEARNING_LOCAL_STEPS, logger, log: progress, spawnPeer,
  })
  : null;
const fp32Sync = wire.find((w) => w.codec === 'fp32' && w.localSteps === 1)!.wireBytesPerTrainedByte;

const out = {
  bench: 'cluster',
  startedAt,
  preset: PRESET,
  batchSize: BATCH,
  rounds: ROUNDS,
  numParams: StlmModel.create(resolveConfig(PRESET), 1).numParams,
  singleProcess: { trainedBytesPerSec: Math.round(single.bytesPerSec), stepMs: Math.round(single.stepMs), steps: single.steps },
  coordinator: throughput.map(({ peers, threadsPerPeer, trainedBytesPerSec, meanRoundMs, roundShare }) => ({
    peers, threadsPerPeer, trainedBytesPerSec, meanRoundMs, roundShare,
  })),
  /** One peer on 2 worker threads against two one-thread peers: same cores, one process instead of two. */
  threadedPeer: {
    onePeerTwoThreadsBytesPerSec: throughput[2]!.trainedBytesPerSec,
    twoPeersOneThreadBytesPerSec: throughput[1]!.trainedBytesPerSec,
    ratio: round3(throughput[2]!.trainedBytesPerSec / throughput[1]!.trainedBytesPerSec),
  },
  wireBytesPerTrainedByte: wire.map(({ codec, localSteps, rounds, wireBytesPerTrainedByte, wireBytesPerRound }) => ({
    codec, localSteps, rounds, wireBytesPerTrainedByte, wireBytesPerRound,
    reductionVsFp32Sync: round3(fp32Sync / wireBytesPerTrainedByte),
  })),
  /** The project's aim: local steps + int8 move >= 100x fewer bytes per trained byte than fp32 sync. */
  bestReductionVsFp32Sync: round3(fp32Sync / Math.min(...wire.map((w) => w.wireBytesPerTrainedByte))),
  learning,
  note: 'loopback, 2 shared cores: peers compete with each other and with the coordinator for CPU',
};
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
process.exit(0);
