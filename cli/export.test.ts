// `stlm export` through the real CLI: the safetensors file it writes loads back into the same model, the
// reference figures it prints are the ones docs/pytorch.md states, and a truncated file is refused clearly.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupBackend } from '../model/backend.ts';
import { resolveConfig } from '../model/config.ts';
import { initWeights, modelManifest } from '../model/layout.ts';
import { encodeWeightsFile } from '../model/weights-file.ts';
import { StlmModel } from '../model/stlm.ts';
import { loadModel } from './load-model.ts';
import { referenceFigures } from './export.ts';

const run = promisify(execFile);
let root: string;
let weights: string;
const cfg = resolveConfig('tiny', { initStd: 0.3 });

beforeAll(async () => {
  await setupBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'stlm-export-'));
  weights = path.join(root, 'weights.stlm');
  await writeFile(weights, encodeWeightsFile({ config: cfg, weights: initWeights(cfg, 1), manifest: modelManifest(cfg) }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('exports, prints the figures docs/pytorch.md states, and the file loads back as the same model', async () => {
  const out = path.join(root, 'model.safetensors');
  const { stdout } = await run(process.execPath, [path.resolve('bin/stlm.mjs'), 'export', '--weights', weights, '--out', out], { encoding: 'utf8' });
  const r = JSON.parse(stdout);
  expect(r.kind).toBe('dense');
  const doc = await readFile(path.resolve('docs/pytorch.md'), 'utf8');
  const stated = JSON.parse(/<!-- reference-figures -->\n```json\n(.*)\n```/.exec(doc)![1]);
  expect(r.reference).toEqual(stated);

  const loaded = await loadModel(out);
  expect(loaded.config).toEqual(cfg);
  expect(loaded.model.getWeights()).toEqual(initWeights(cfg, 1));
  expect(referenceFigures(loaded.model)).toEqual(stated);
  loaded.model.dispose();
}, 60_000);

it('the reference implementation in docs/pytorch.md is docs/pytorch/stlm_ref.py, word for word', async () => {
  const doc = await readFile(path.resolve('docs/pytorch.md'), 'utf8');
  const code = await readFile(path.resolve('docs/pytorch/stlm_ref.py'), 'utf8');
  expect(doc).toContain('```python\n' + code + '```');
});

it('a model whose context holds less than the reference text is checked on the part that fits', async () => {
  const short = resolveConfig('tiny', { contextChunks: 3 });
  const model = StlmModel.create(short, 2);
  const r = referenceFigures(model);
  expect(r.text).toBe('The quick brown ');
  expect(r.bitsPerByte).toBeCloseTo(model.evaluate([new TextEncoder().encode("The quick brown ")]).lossSum / 16 / Math.LN2, 4);
  model.dispose();
});

it('a truncated safetensors file is refused with the file named and what is missing', async () => {
  const out = path.join(root, 'cut.safetensors');
  const full = path.join(root, 'model.safetensors');
  const bytes = await readFile(full);
  await writeFile(out, bytes.subarray(0, bytes.length - 100));
  await expect(loadModel(out)).rejects.toThrow(new RegExp(`^${out}: safetensors file: truncated: tensor \\S+ ends at byte \\d+ of the data, which has \\d+$`));
});
