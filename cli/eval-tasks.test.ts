// Zero-shot multiple choice end to end: a tiny model that has learned a short text scores, in each of the four
// published formats, the options from that text above the others; with the answers swapped on purpose to
// wrong options it scores none. Through the dense weights file and the consolidated (int8) one alike, and the
// real CLI refuses a task file with no valid line.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../model/backend.ts';
import { resolveConfig } from '../model/config.ts';
import { splitIntoExamples, textToBytes } from '../model/bytes.ts';
import { StlmModel } from '../model/stlm.ts';
import { LocalTrainer } from '../model/trainer.ts';
import { encodeWeightsFile } from '../model/weights-file.ts';
import { consolidate } from '../model/compress/consolidate.ts';
import { evalTaskFiles } from './eval-tasks.ts';

/** Each format's lines, with the option the learned text contains as the answer. */
const TASKS = {
  arc: [
    { question: 'What does the cat sit on?', choices: { text: ['the mat', 'a cloud', 'red fish'], label: ['A', 'B', 'C'] }, answerKey: 'A' },
    { question: 'Where do birds fly?', choices: { text: ['under rocks', 'in the sky', 'on the mat'], label: ['A', 'B', 'C'] }, answerKey: 'B' },
  ],
  winogrande: [
    { sentence: 'The dog ran to the _ to play.', option1: 'park', option2: 'sea', answer: '1' },
    { sentence: 'Fish swim in the _ all day.', option1: 'mat', option2: 'sea', answer: '2' },
  ],
  hellaswag: [
    { ctx: 'The sun rises and', endings: ['the mat sits.', 'we all wake up.', 'fish fly.'], label: 1 },
    { ctx: 'She opens the door and', endings: ['walks in.', 'sky dog.', 'swims the mat.'], label: '0' },
  ],
  blimp: [
    { sentence_good: 'The birds fly home.', sentence_bad: 'The birds flies home.' },
    { sentence_good: 'These cats sleep.', sentence_bad: 'These cats sleeps.' },
  ],
};

/** The text the model learns: every question with its right answer, as the format presents it. */
const LEARNED = [
  'Question: What does the cat sit on?\nAnswer: the mat\n',
  'Question: Where do birds fly?\nAnswer: in the sky\n',
  'The dog ran to the park to play.\n',
  'Fish swim in the sea all day.\n',
  'The sun rises and we all wake up.\n',
  'She opens the door and walks in.\n',
  'The birds fly home.\n',
  'These cats sleep.\n',
].join('');

/** The same lines with the answer moved to a wrong option. BLiMP's answer is fixed, so its sentences swap. */
function wrongAnswers(format: keyof typeof TASKS): unknown[] {
  return TASKS[format].map((l: Record<string, unknown>) => {
    switch (format) {
      case 'arc': return { ...l, answerKey: l.answerKey === 'A' ? 'C' : 'A' };
      case 'winogrande': return { ...l, answer: l.answer === '1' ? '2' : '1' };
      case 'hellaswag': return { ...l, label: Number(l.label) === 2 ? 0 : 2 };
      case 'blimp': return { sentence_good: l.sentence_bad, sentence_bad: l.sentence_good };
    }
  });
}

let root: string;
let dense: string;
let quantized: string;
const files: Record<string, string> = {};
const wrongFiles: Record<string, string> = {};

beforeAll(async () => {
  await setupBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'stlm-eval-tasks-'));
  for (const format of Object.keys(TASKS) as Array<keyof typeof TASKS>) {
    files[format] = path.join(root, `${format}.jsonl`);
    wrongFiles[format] = path.join(root, `${format}-wrong.jsonl`);
    await writeFile(files[format], TASKS[format].map((l) => JSON.stringify(l)).join('\n') + '\n');
    await writeFile(wrongFiles[format], wrongAnswers(format).map((l) => JSON.stringify(l)).join('\n') + '\n');
  }
  const cfg = resolveConfig('tiny');
  const examples = splitIntoExamples(textToBytes(LEARNED.repeat(8)), cfg);
  const model = StlmModel.create(cfg, 11);
  const trainer = new LocalTrainer({ model, schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 20, totalSteps: 200 }, optimizer: { weightDecay: 0 } });
  for (let step = 0; step < 200; step++) trainer.step([0, 1, 2, 3, 4, 5, 6, 7].map((i) => examples[(step * 8 + i) % examples.length]));
  const weights = model.getWeights();
  dense = path.join(root, 'weights.stlm');
  await writeFile(dense, encodeWeightsFile({ config: cfg, weights, manifest: model.manifest }));
  // A run directory whose newest complete checkpoint holds the same weights.
  await mkdir(path.join(root, 'run', 'ckpt-00000200'), { recursive: true });
  await writeFile(path.join(root, 'run', 'ckpt-00000200', 'weights.stlm'), encodeWeightsFile({ config: cfg, weights, manifest: model.manifest }));
  await writeFile(path.join(root, 'run', 'ckpt-00000200', 'state.json'), JSON.stringify({ round: 200 }));
  quantized = path.join(root, 'model.stlmq');
  await writeFile(quantized, consolidate(weights, model.manifest, cfg, { sparsity: 0, quant: 'int8' }).file);
  model.dispose();
}, 300_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('stlm eval --tasks', () => {
  for (const which of ['dense', 'consolidated'] as const) {
    it(`${which}: the learned options win in every format, by sum and per byte; wrong answer keys score 0`, async () => {
      const weights = which === 'dense' ? dense : quantized;
      const warnings: string[] = [];
      const formats = Object.keys(TASKS);
      const right = await evalTaskFiles(weights, formats.map((f) => files[f]), 4, (l) => warnings.push(l));
      expect(right.kind).toBe(which);
      expect(right.tasks.map((t) => t.format)).toEqual(formats);
      for (const t of right.tasks) {
        expect({ task: t.format, sum: t.sum.correct, perByte: t.perByte.correct }).toEqual({ task: t.format, sum: 2, perByte: 2 });
        expect(t.count).toBe(2);
        expect(t.sum.ci95[1]).toBe(1);
      }
      expect(right.tasks.map((t) => t.chance)).toEqual([1 / 3, 1 / 2, 1 / 3, 1 / 2]);
      const wrong = await evalTaskFiles(weights, formats.map((f) => wrongFiles[f]), 4, (l) => warnings.push(l));
      for (const t of wrong.tasks) expect({ task: t.format, sum: t.sum.correct, perByte: t.perByte.correct }).toEqual({ task: t.format, sum: 0, perByte: 0 });
      expect(warnings).toEqual([]);
    });
  }

  it('a run directory is read through its newest checkpoint', async () => {
    const r = await evalTaskFiles(path.join(root, 'run'), [files.arc], 4, () => {});
    expect(r.model).toBe(path.join(root, 'run', 'ckpt-00000200', 'weights.stlm'));
    expect(r.tasks[0].sum.correct).toBe(2);
  });

  it('skips broken lines with a warning naming file and line; the CLI refuses a file with none valid', async () => {
    const mixed = path.join(root, 'mixed.jsonl');
    await writeFile(mixed, `${JSON.stringify(TASKS.blimp[0])}\n{"sentence_good": "x"\n`);
    const warnings: string[] = [];
    const r = await evalTaskFiles(dense, [mixed], 4, (l) => warnings.push(l));
    expect(r.tasks[0].count).toBe(1);
    expect(r.tasks[0].skipped).toBe(1);
    expect(warnings).toEqual([`${mixed}:2: skipped: not valid JSON`]);

    const broken = path.join(root, 'broken.jsonl');
    await writeFile(broken, '{"question": "q"\nnot json\n');
    const cli = promisify(execFile)(process.execPath, [path.resolve('bin/stlm.mjs'), 'eval', '--weights', dense, '--tasks', broken], { encoding: 'utf8' });
    await expect(cli).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`stlm: ${broken}: no valid task line (line 1: not valid JSON; line 2: not valid JSON)`) });
  }, 60_000);
});
