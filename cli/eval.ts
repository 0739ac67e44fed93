// `stlm eval`: bits per byte of saved weights on held-out text (the validation tail `stlm train` holds out).
import type { Command } from 'commander';
import { bitsPerByte, setupBackend, type BackendName } from '../model/index.ts';
import { loadModel } from './load-model.ts';
import { cliAction, loadDataset, positiveInt } from './dataset.ts';

export function register(program: Command): void {
  program
    .command('eval')
    .description('bits per byte of a weights file on held-out text')
    .requiredOption('--weights <path>', 'dense weights file, consolidated model.stlmq, checkpoint directory or run directory')
    .option('--corpus <source>', 'corpus; its last 1% is the held-out set', 'nlp-corpus')
    .option('--max-examples <n>', 'held-out examples to score', '64')
    .option('--batch <n>', 'examples per forward pass', '8')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .action(cliAction(async (o) => {
      await setupBackend(o.backend as BackendName);
      const { model } = await loadModel(o.weights);
      const data = await loadDataset(o.corpus, model.config, 0.01);
      const val = data.val.slice(0, positiveInt('max-examples', o.maxExamples));
      const bpb = bitsPerByte(model, val, positiveInt('batch', o.batch));
      console.log(JSON.stringify({ corpus: data.name, examples: val.length, bitsPerByte: bpb }));
      model.dispose();
    }));
}
