// `npm run bench:browser-threads`: how a tab should use its cores, measured in real headless Chromium on the
// real training step, JSON on stdout. Compares, interleaved: one worker with one wasm thread; one worker with
// tfjs-wasm's own threads (one per core, what the page did before); one single-threaded worker per core,
// each on its own batch (data parallel, as a threaded Node peer); and the tab's own training pool, what a tab
// on wasm now trains with (peer/core/threaded-model.ts over peer/browser/train-worker.ts, one batch per
// worker, new weights to every replica each step). The page served is cross-origin isolated like the
// coordinator's, so wasm threads and SharedArrayBuffer are available.
// Flags: --preset NAME (default preset), --batch N (8), --steps N (6 timed per worker), --rounds N (2).
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCorpus } from '../data/corpus.ts';
import { DEFAULT_PRESET, resolveConfig } from '../model/config.ts';
import { countChunks, splitIntoExamples } from '../model/bytes.ts';
import { launchBrowser } from '../test/browser/harness.ts';
import { servePage } from '../test/browser/serve-page.ts';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: DEFAULT_PRESET },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '2' },
  },
});
const ROOT = path.resolve(import.meta.dirname, '..');
const log = (m: string) => process.stderr.write(`[bench:browser-threads] ${m}\n`);
const batchSize = Number(args.batch);
const steps = Number(args.steps);

const served = await servePage({
  page: { name: 'thread-page', file: path.join(ROOT, 'bench/browser/thread-page.ts') },
  workers: { 'thread-worker': path.join(ROOT, 'bench/browser/thread-worker.ts'), 'train-worker': path.join(ROOT, 'peer/browser/train-worker.ts') },
});
const browser = await launchBrowser();

try {
  const page = await browser.newPage();
  await page.goto(served.url);
  await page.waitForFunction(() => 'runConfiguration' in globalThis);
  const info = (await page.evaluate('pageInfo()')) as { crossOriginIsolated: boolean; cores: number; userAgent: string };
  const cores = Math.min(8, info.cores);
  const cfg = resolveConfig(args.preset);
  const examples = splitIntoExamples((await loadCorpus()).bytes.subarray(0, 3_000_000), cfg).filter(
    (e) => countChunks(e, cfg.chunkBytes) === cfg.contextChunks,
  );
  let next = 0;
  const batches = (n: number) => Array.from({ length: n }, () => Array.from({ length: batchSize }, () => Array.from(examples[next++ % examples.length]!)));
  const configurations = [
    { name: 'one worker, one wasm thread', workers: 1, threadsPerWorker: 1 },
    { name: `one worker, ${cores} wasm threads`, workers: 1, threadsPerWorker: cores },
    { name: `${cores} workers, one wasm thread each`, workers: cores, threadsPerWorker: 1 },
    { name: `the tab's training pool: ${cores} train-workers`, workers: cores, threadsPerWorker: 1, pool: true },
  ];
  const totals = configurations.map(() => ({ bytesPerSecond: [] as number[] }));
  for (let round = 0; round < Number(args.rounds); round++) {
    for (const [i, c] of configurations.entries()) {
      type Run = (x: unknown) => Promise<{ bytesPerSecond: number }>;
      const r = c.pool
        ? await page.evaluate(
          (j) => (globalThis as unknown as { runPool: Run }).runPool(j),
          { workers: c.workers, preset: args.preset, steps: Array.from({ length: steps + 1 }, () => batches(c.workers).flat()) },
        )
        : await page.evaluate(
          (j) => (globalThis as unknown as { runConfiguration: Run }).runConfiguration(j),
          { workers: c.workers, threadsPerWorker: c.threadsPerWorker, preset: args.preset, batches: Array.from({ length: c.workers }, () => batches(steps + 1)) },
        );
      totals[i]!.bytesPerSecond.push(r.bytesPerSecond);
      log(`${c.name}: ${Math.round(r.bytesPerSecond)} B/s`);
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const results = configurations.map((c, i) => ({ ...c, bytesPerSecond: Math.round(mean(totals[i]!.bytesPerSecond)) }));
  const best = results.reduce((a, b) => (b.bytesPerSecond > a.bytesPerSecond ? b : a));
  const one = results[0]!.bytesPerSecond;
  console.log(JSON.stringify({
    bench: 'browser-threads',
    preset: args.preset,
    batchSize,
    timedStepsPerWorker: steps * Number(args.rounds),
    browser: info.userAgent,
    crossOriginIsolated: info.crossOriginIsolated,
    cores: info.cores,
    configurations: results.map((r) => ({ ...r, speedupOverOneThread: Number((r.bytesPerSecond / one).toFixed(3)) })),
    fastest: best.name,
    /** The tab's chosen threading (its training pool) over one wasm thread. */
    chosenSpeedupOverOneThread: Number((results.at(-1)!.bytesPerSecond / one).toFixed(3)),
    clock: 'wall clock in the page; configurations interleaved, each run alone',
  }, null, 2));
} finally {
  await browser.close();
  served.close();
}
