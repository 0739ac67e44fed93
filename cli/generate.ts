// `stlm generate`: samples text from saved weights.
import type { Command } from 'commander';
import { bytesToText, generate, setupBackend, type BackendName } from '../model/index.ts';
import { loadModel } from './load-model.ts';
import { cliAction, positiveInt, positiveNumber } from './dataset.ts';

export function register(program: Command): void {
  program
    .command('generate')
    .description('generate text from a saved weights file')
    .requiredOption('--weights <path>', 'dense weights file, consolidated model.stlmq, checkpoint directory or run directory')
    .option('--prompt <text>', 'text to continue', 'The ')
    .option('--max-bytes <n>', 'bytes to generate', '200')
    .option('--temperature <x>', 'sampling temperature; 0 = greedy', '0.8')
    .option('--top-k <n>', 'sample among the k most likely bytes; 0 = all', '40')
    .option('--seed <n>', 'sampling seed', '1')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .action(cliAction(async (o) => {
      await setupBackend(o.backend as BackendName);
      const { model } = await loadModel(o.weights);
      const topK = Number(o.topK);
      if (!Number.isInteger(topK) || topK < 0) throw new Error(`--top-k must be a non-negative integer, got "${o.topK}"`);
      const out = generate(model, o.prompt, {
        maxBytes: positiveInt('max-bytes', o.maxBytes),
        temperature: positiveNumber('temperature', o.temperature, true),
        topK,
        seed: Number(o.seed),
      });
      process.stdout.write(o.prompt + bytesToText(out) + '\n');
      model.dispose();
    }));
}
