// End to end through the real CLI and a real coordinator process: one held-out set everywhere (the corpus
// tail, data/split.ts), `stlm eval --text` scores every byte of a file, and bad files get clear errors.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { splitCorpus } from '../data/split.ts';
import { killAll, startCoordinatorProcess } from '../test/cluster/processes.ts';

const run = promisify(execFile);
const stlm = (...args: string[]) => run(process.execPath, [path.resolve('bin/stlm.mjs'), ...args], { encoding: 'utf8' });
let root: string;
let corpus: string;
let weights: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'stlm-cli-heldout-'));
  corpus = path.join(root, 'corpus.txt');
  const lines = Array.from({ length: 1_500 }, (_, i) => `Line ${i}: the quick brown fox jumps over ${i % 7} lazy dogs.`);
  await writeFile(corpus, lines.join('\n'));
  weights = path.join(root, 'tiny.bin');
  await stlm('train', '--preset', 'tiny', '--steps', '3', '--evaluations', '1', '--corpus', corpus, '--out', weights);
}, 120_000);
afterAll(async () => {
  await killAll();
  await rm(root, { recursive: true, force: true });
});

it('stlm train, stlm eval and the coordinator hold out the same bytes: the tail of the corpus', async () => {
  const bytes = new Uint8Array(await readFile(corpus));
  const heldOut = splitCorpus(bytes).heldOut;
  const ev = JSON.parse((await stlm('eval', '--weights', weights, '--corpus', corpus)).stdout);
  expect(ev.bytes).toBe(heldOut.length);
  // The figure `stlm train` saved is the same model scored on the same bytes.
  const { decodeWeightsFile } = await import('../model/weights-file.ts');
  const saved = decodeWeightsFile(new Uint8Array(await readFile(weights)));
  expect(ev.bitsPerByte).toBeCloseTo(saved.meta.valBpb as number, 4);
  // Scoring the held-out tail as a text file scores exactly those bytes.
  const tail = path.join(root, 'tail.txt');
  await writeFile(tail, heldOut);
  const asText = JSON.parse((await stlm('eval', '--weights', weights, '--text', tail)).stdout);
  expect(asText.bytes).toBe(heldOut.length);
  expect(asText.bitsPerByte).toBeCloseTo(ev.bitsPerByte, 4);

  const coord = await startCoordinatorProcess(['--preset', 'tiny', '--data', corpus, '--run-dir', path.join(root, 'run')]);
  const status = await coord.status();
  expect(status.data.validationBytes).toBe(heldOut.length);
  expect(status.data.trainBytes).toBe(bytes.length - heldOut.length);
  await killAll();
});

it('stlm eval --text scores every byte of a file; empty and binary files get a clear error', async () => {
  const text = path.join(root, 'poem.txt');
  const poem = 'Tiny models learn the shape of words,\nbyte by byte, as the evening birds.\n'.repeat(20);
  await writeFile(text, poem);
  const r = JSON.parse((await stlm('eval', '--weights', weights, '--text', text)).stdout);
  expect(r.bytes).toBe(Buffer.byteLength(poem));
  expect(r.bitsPerByte).toBeGreaterThan(0);
  expect(r.bitsPerByte).toBeLessThan(12);

  const empty = path.join(root, 'empty.txt');
  await writeFile(empty, '');
  await expect(stlm('eval', '--weights', weights, '--text', empty)).rejects.toMatchObject({ stderr: expect.stringMatching(/empty\.txt is empty/) });
  const binary = path.join(root, 'garbage.bin');
  await writeFile(binary, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 2654435761) & 0xff)));
  await expect(stlm('eval', '--weights', weights, '--text', binary)).rejects.toMatchObject({ stderr: expect.stringMatching(/garbage\.bin is not (UTF-8 )?text/) });
  await expect(stlm('eval', '--weights', weights, '--text', path.join(root, 'missing.txt'))).rejects.toMatchObject({ stderr: expect.stringMatching(/cannot read it \(ENOENT\)/) });
});
