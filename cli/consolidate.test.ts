// End to end through the real CLI: consolidate a checkpoint, then eval and generate from the consolidated file.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resolveConfig } from '../model/config.ts';
import { initWeights, modelManifest } from '../model/layout.ts';
import { encodeWeightsFile } from '../model/weights-file.ts';
import { parseSparsity } from './consolidate.ts';

const run = promisify(execFile);
const stlm = (...args: string[]) => run(process.execPath, [path.resolve('bin/stlm.mjs'), ...args], { encoding: 'utf8' });
let root: string;
let ckpt: string;
let corpus: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'stlm-cli-consolidate-'));
  ckpt = path.join(root, 'run', 'ckpt-00000012');
  await mkdir(ckpt, { recursive: true });
  const cfg = resolveConfig('tiny');
  await writeFile(path.join(ckpt, 'weights.stlm'), encodeWeightsFile({ config: cfg, weights: initWeights(cfg, 3), manifest: modelManifest(cfg) }));
  await writeFile(path.join(ckpt, 'state.json'), JSON.stringify({ round: 12, settings: { seed: 1 } }));
  corpus = path.join(root, 'corpus.txt');
  await writeFile(corpus, 'Some held-out text to score the model on, line after line.\n'.repeat(80));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('stlm consolidate RUN_DIR, then eval and generate load the consolidated file', async () => {
  const { stdout } = await stlm('consolidate', path.join(root, 'run'), '--sparsity', '0.75', '--corpus', corpus, '--max-examples', '4');
  const r = JSON.parse(stdout);
  expect(r.round).toBe(12);
  expect(r.sparsity).toBe(0.75);
  expect(r.prunableSparsity).toBe(0.75);
  expect(r.sizeRatio).toBeLessThan(0.2);
  const file = path.join(ckpt, 'model.stlmq');
  expect(r.file).toBe(file);
  expect(JSON.parse(await readFile(path.join(ckpt, 'state.json'), 'utf8')).consolidation.sizeBytes).toBe(r.sizeBytes);
  const ev = JSON.parse((await stlm('eval', '--weights', file, '--corpus', corpus, '--max-examples', '4')).stdout);
  expect(ev.bitsPerByte).toBeGreaterThan(5);
  const gen = await stlm('generate', '--weights', file, '--prompt', 'Some ', '--max-bytes', '12', '--seed', '2');
  expect(gen.stdout.startsWith('Some ')).toBe(true);
  expect(Buffer.byteLength(gen.stdout)).toBeGreaterThan(5);
});

it('parses --sparsity strictly', () => {
  expect(parseSparsity('0.5')).toBe(0.5);
  expect(parseSparsity('2:4')).toBe('2:4');
  for (const bad of ['1', '-0.1', 'half', '', '1:4']) expect(() => parseSparsity(bad)).toThrow(/--sparsity/);
});
