// `stlm eval`: bits per byte of saved weights on held-out text: the corpus tail that `stlm train` and the
// coordinator hold out (data/split.ts), or every byte of a text file (--text); or, with --tasks, zero-shot
// multiple-choice accuracy on task files (eval-tasks.ts).
import type { Command } from 'commander';
import { bitsPerByte, setupBackend, splitIntoExamples, type BackendName } from '../model/index.ts';
import { readTextFile } from '../data/text-file.ts';
import { loadModel } from './load-model.ts';
import { cliAction, loadDataset, positiveInt } from './dataset.ts';
import { evalTaskFiles } from './eval-tasks.ts';

export function register(program: Command): void {
  program
    .command('eval')
    .description('bits per byte of a weights file on held-out text, or multiple-choice accuracy on task files (--tasks)')
    .requiredOption('--weights <path>', 'dense weights file, consolidated model.stlmq, checkpoint directory, run directory or exported .safetensors')
    .option('--corpus <source>', 'corpus; its last 1% is the held-out set', 'nlp-corpus')
    .option('--text <file>', 'score every byte of this text file instead of the corpus tail')
    .option('--max-examples <n>', 'held-out examples of the corpus to score (default: all)')
    .option('--tasks <files...>', 'zero-shot multiple choice on these JSONL files (ARC, WinoGrande, HellaSwag, BLiMP formats)')
    .option('--batch <n>', 'examples per forward pass', '16')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .action(cliAction(async (o) => {
      const batch = positiveInt('batch', o.batch);
      if (o.tasks !== undefined) {
        await setupBackend(o.backend as BackendName);
        const report = await evalTaskFiles(o.weights, o.tasks as string[], batch, (line) => console.error(line));
        console.log(JSON.stringify(report, null, 2));
        return;
      }
      const textBytes = o.text === undefined ? undefined : await readTextFile(o.text);
      await setupBackend(o.backend as BackendName);
      const { model } = await loadModel(o.weights);
      let source: string;
      let examples: Uint8Array[];
      if (textBytes) {
        source = o.text;
        examples = splitIntoExamples(textBytes, model.config);
      } else {
        const { name, dataset } = await loadDataset(o.corpus, model.config, 1);
        source = name;
        examples = dataset.validationExamples(o.maxExamples === undefined ? undefined : positiveInt('max-examples', o.maxExamples));
      }
      const bytes = examples.reduce((s, e) => s + e.length, 0);
      const bpb = bitsPerByte(model, examples, batch);
      console.log(JSON.stringify({ source, examples: examples.length, bytes, bitsPerByte: bpb }));
      model.dispose();
    }));
}
