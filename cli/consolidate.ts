// `stlm consolidate RUN_DIR|CHECKPOINT`: prunes and quantizes a checkpoint's master weights into model.stlmq
// and prints what it cost (size against fp32, sparsity per tensor, validation bpb dense vs consolidated).
import type { Command } from 'commander';
import { setupBackend, type BackendName } from '../model/backend.ts';
import { checkSparsity, type SparsityTarget } from '../model/compress/prune.ts';
import { CheckpointStore } from '../coordinator/checkpoints/store.ts';
import { consolidateCheckpoint } from '../coordinator/consolidation/consolidate-checkpoint.ts';
import { positiveInt } from './dataset.ts';

export function parseSparsity(value: string): SparsityTarget {
  if (value === '2:4') return '2:4';
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`--sparsity must be a number in [0, 1) or 2:4, got "${value}"`);
  try {
    return checkSparsity(n);
  } catch {
    throw new Error(`--sparsity must be a number in [0, 1) or 2:4, got "${value}"`);
  }
}

export function register(program: Command): void {
  program
    .command('consolidate')
    .description('prune + quantize a checkpoint into model.stlmq and measure the quality cost (JSON on stdout)')
    .argument('<path>', 'a checkpoint directory, or a run directory (its newest checkpoint)')
    .option('--sparsity <s>', 'fraction of each prunable matrix to prune, or 2:4', '0.5')
    .option('--quant <q>', 'int8 | fp32', 'int8')
    .option('--scope <scope>', 'per-tensor | global (magnitude ranking per matrix or across all)', 'per-tensor')
    .option('--prune-embedding', 'also prune the tied byte embedding', false)
    .option('--out <file>', 'write the consolidated file here instead of <checkpoint>/model.stlmq (the checkpoint is left untouched)')
    .option('--corpus <source>', 'corpus for the validation set (default: the run\'s, from state.json)')
    .option('--max-examples <n>', 'validation examples to score (default: the run\'s setting, else 64)')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .option('--per-tensor', 'print the sparsity of every tensor', false)
    .action(async (target: string, o) => {
      const sparsity = parseSparsity(o.sparsity);
      if (o.quant !== 'int8' && o.quant !== 'fp32') throw new Error(`--quant must be int8 or fp32, got "${o.quant}"`);
      if (o.scope !== 'per-tensor' && o.scope !== 'global') throw new Error(`--scope must be per-tensor or global, got "${o.scope}"`);
      await setupBackend(o.backend as BackendName);
      const dir = await CheckpointStore.resolveCheckpointDir(target);
      const r = await consolidateCheckpoint(CheckpointStore.of(dir), dir, {
        sparsity, quant: o.quant, scope: o.scope, pruneEmbedding: o.pruneEmbedding, out: o.out, corpus: o.corpus,
        maxValidation: o.maxExamples === undefined ? undefined : positiveInt('max-examples', o.maxExamples),
      });
      const { codecs: _c, sparsityPerTensor, ...rest } = r;
      console.log(JSON.stringify(o.perTensor ? { ...rest, sparsityPerTensor } : rest, null, 2));
    });
}
