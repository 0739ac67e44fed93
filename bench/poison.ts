// bench:poison: which aggregation rule keeps learning on course when some peers attack? For each mode
// (sync, local-steps), each mix of bad peers (1 of 3, 2 of 5), each rule and each attack, one in-process run
// (bench/poison-harness.ts: the coordinator's own aggregation, screen and optimizer on real gradients of the
// tiny preset) and its validation bits per byte after the same number of rounds. JSON on stdout; `ratio` is
// bpb / bpb of the honest run (every peer honest, mean rule, same mode, peers and rounds), measured in the
// same process. Progress on stderr.
// Usage: npm run bench:poison -- [--rules a,b] [--attacks a,b] [--modes sync,local-steps] [--mixes 1/3,2/5]
//        [--rounds 16] [--local-rounds 8] [--local-steps 2] [--batch 4] [--codec int8] [--seed 1]
// Every mode, mix, rule and attack at once takes about 9 minutes on the shared 2-core machine; one mode and
// one mix (e.g. --modes sync --mixes 1/3) about 2 minutes. The ratios compare runs from the same invocation.
import { parseArgs } from 'node:util';
import { loadCorpus } from '../data/corpus.ts';
import { splitExamples } from '../data/split.ts';
import { resolveConfig } from '../model/config.ts';
import { setupBackend } from '../model/backend.ts';
import { AGGREGATOR_NAMES, isAggregatorName } from '../coordinator/aggregate/index.ts';
import { ATTACKS, runPoison, type Attack, type Mode, type PoisonEnv } from './poison-harness.ts';

const { values: a } = parseArgs({
  options: {
    rules: { type: 'string', default: AGGREGATOR_NAMES.join(',') },
    attacks: { type: 'string', default: ATTACKS.filter((x) => x !== 'none').join(',') },
    modes: { type: 'string', default: 'sync,local-steps' },
    mixes: { type: 'string', default: '1/3,2/5' },
    rounds: { type: 'string', default: '16' },
    'local-rounds': { type: 'string', default: '8' },
    'local-steps': { type: 'string', default: '2' },
    batch: { type: 'string', default: '4' },
    codec: { type: 'string', default: 'int8' },
    seed: { type: 'string', default: '1' },
    validation: { type: 'string', default: '64' },
  },
});
const rules = a.rules!.split(',').map((r) => {
  if (!isAggregatorName(r)) throw new Error(`unknown rule ${r}`);
  return r;
});
const attacks = a.attacks!.split(',') as Attack[];
for (const x of attacks) if (!(ATTACKS as readonly string[]).includes(x)) throw new Error(`unknown attack ${x}`);
const modes = a.modes!.split(',') as Mode[];
const mixes = a.mixes!.split(',').map((m) => m.split('/').map(Number) as [number, number]);

await setupBackend('wasm');
const cfg = resolveConfig('tiny');
const corpus = await loadCorpus();
const split = splitExamples(corpus.bytes.subarray(0, 4_000_000), cfg);
const env: PoisonEnv = { cfg, split, validation: split.heldOut.slice(0, Number(a.validation)) };
const t0 = performance.now();
const results: Array<Record<string, unknown> & { rule: string; ratio: number }> = [];
for (const mode of modes) {
  for (const [bad, peers] of mixes) {
    const base = {
      mode, peers, rounds: Number(mode === 'sync' ? a.rounds : a['local-rounds']), localSteps: Number(a['local-steps']),
      batchSize: Number(a.batch), codec: a.codec!, seed: Number(a.seed),
    };
    const honest = runPoison(env, { ...base, rule: 'mean', attack: 'none', bad: 0 });
    process.stderr.write(`${mode} ${bad}/${peers}: honest mean ${honest.valBpb.toFixed(4)}\n`);
    for (const rule of rules) {
      const ruleHonest = rule === 'mean' ? honest : runPoison(env, { ...base, rule, attack: 'none', bad: 0 });
      results.push({ mode, bad, peers, rule, attack: 'none', valBpb: ruleHonest.valBpb, honestBpb: honest.valBpb, ratio: ruleHonest.valBpb / honest.valBpb });
      for (const attack of attacks) {
        const r = runPoison(env, { ...base, rule, attack, bad });
        const ratio = r.valBpb / honest.valBpb;
        process.stderr.write(`${mode} ${bad}/${peers} ${rule} ${attack}: ${r.valBpb.toFixed(4)} (x${ratio.toFixed(4)}, ${r.rejected} rejected)\n`);
        results.push({ mode, bad, peers, rule, attack, valBpb: r.valBpb, honestBpb: honest.valBpb, ratio, rejected: r.rejected, droppedRounds: r.droppedRounds, weightsFinite: r.weightsFinite });
      }
    }
  }
}
const worst = Object.fromEntries(rules.map((rule) => [rule, Math.max(...results.filter((r) => r.rule === rule).map((r) => (Number.isFinite(r.ratio) ? r.ratio : Infinity)))]));
console.log(JSON.stringify({ args: a, seconds: (performance.now() - t0) / 1000, worstRatioByRule: worst, results }, null, 1));
