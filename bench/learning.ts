// `npm run bench:learning`: held-out bits per byte at equal training time, one thread per run. Runs the
// default preset, every preset meant for CPUs, and the reference byte-level GPT (preset byte-gpt: the same
// code with one byte per chunk), each in its own process for --minutes of training (evaluation excluded,
// scored --evaluations times), plus gzip -9 and brotli -q 11 on the same held-out bytes. JSON on stdout.
// Options: --minutes M (10), --corpus SRC (nlp-corpus), --runs a,b (all), --jobs N (1: runs one after
// another; 2 runs two at once, one per core, on a 2-core machine that has nothing else to do), --seed N.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadCorpus } from '../data/corpus.ts';
import { splitCorpus } from '../data/split.ts';
import { DEFAULT_PRESET, type PresetName } from '../model/config.ts';
import { compressorBpb } from '../data/compressors.ts';

const { values: a } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    corpus: { type: 'string', default: 'nlp-corpus' },
    runs: { type: 'string' },
    jobs: { type: 'string', default: '1' },
    evaluations: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
  },
});
const log = (m: string) => process.stderr.write(`${m}\n`);

/** Presets meant for one CPU core; stlm-50m is for GPU browsers and is left out. */
const CPU_PRESETS: PresetName[] = ['tiny', 'small'];
const REFERENCE: PresetName = 'byte-gpt';
const allRuns = [...new Set<PresetName>([DEFAULT_PRESET, ...CPU_PRESETS, REFERENCE])];
const runs = a.runs ? (a.runs.split(',') as PresetName[]) : allRuns;
for (const r of runs) if (!allRuns.includes(r)) throw new Error(`--runs: unknown run ${r} (known: ${allRuns.join(', ')})`);
const seconds = Number(a.minutes) * 60;
const jobs = Math.max(1, Number(a.jobs));

const corpus = await loadCorpus(a.corpus);
const split = splitCorpus(corpus.bytes);
log(`corpus ${corpus.name}: ${split.train.length} training bytes, ${split.heldOut.length} held out; compressing...`);
const compressors = compressorBpb(split.train, split.heldOut);
log(`gzip -9 ${compressors.gzip.toFixed(3)} bpb, brotli -q 11 ${compressors.brotli.toFixed(3)} bpb`);

// The machine's load while the runs train, sampled every 10 s.
const loads: number[] = [];
const sampler = setInterval(() => loads.push(os.loadavg()[0]!), 10_000);

function runOne(preset: PresetName): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      'bin/run-ts.mjs', 'bench/learning-run.ts', '--preset', preset, '--seconds', String(seconds),
      '--evaluations', a.evaluations!, '--corpus', a.corpus!, '--seed', a.seed!,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`run ${preset} exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>);
    });
  });
}

const results = new Map<PresetName, Record<string, unknown>>();
const queue = [...runs];
await Promise.all(Array.from({ length: Math.min(jobs, runs.length) }, async () => {
  for (let p = queue.shift(); p; p = queue.shift()) results.set(p, await runOne(p));
}));
clearInterval(sampler);

const out = {
  bench: 'learning',
  corpus: corpus.name,
  trainBytes: split.train.length,
  heldOutBytes: split.heldOut.length,
  budgetSeconds: seconds,
  threadsPerRun: 1,
  machine: {
    cpus: os.cpus().length,
    jobs,
    loadAverage: { mean: loads.reduce((s, x) => s + x, 0) / Math.max(1, loads.length), max: Math.max(0, ...loads) },
  },
  runs: runs.map((name) => {
    const r = results.get(name)!;
    return {
      name,
      params: r.params,
      isDefault: name === DEFAULT_PRESET,
      isReference: name === REFERENCE,
      bytesPerSecond: r.bytesPerSecond,
      slotFill: r.slotFill,
      steps: r.steps,
      // Process CPU seconds over training + evaluation wall seconds: near 1 when the run had its core.
      cpuShare: (r.cpuSeconds as number) / ((r.trainSeconds as number) + (r.evalSeconds as number)),
      recipe: r.recipe,
      curve: r.curve,
      finalBpb: r.finalBpb,
    };
  }),
  compressors,
};
console.log(JSON.stringify(out, null, 2));
