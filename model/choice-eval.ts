// Zero-shot multiple-choice accuracy, as the STLM paper reports its models: each option is scored by the
// log-likelihood of its text given its context (choice-score.ts), the highest wins. Two rules: the summed
// log-likelihood, and the same divided by the option's bytes (which does not favour short options).
import type { StlmModel } from './stlm.ts';
import { textToBytes } from './bytes.ts';
import { scoreContinuations, scoreContinuationsWithPauses, type ContinuationRequest, type ContinuationScore } from './choice-score.ts';

/** One question: its options (each a continuation given its own context) and the index of the right one. */
export interface ChoiceItem {
  options: Array<{ context: string; continuation: string }>;
  answer: number;
}

export interface AccuracyFigure {
  correct: number;
  accuracy: number;
  /** 95% Wilson score interval of the accuracy. */
  ci95: [number, number];
}

export interface ChoiceAccuracy {
  /** Questions scored. */
  count: number;
  /** Expected accuracy of a random guess: the mean of 1 / options. */
  chance: number;
  /** Highest summed log-likelihood wins. */
  sum: AccuracyFigure;
  /** Highest log-likelihood per byte of the option wins. */
  perByte: AccuracyFigure;
}

/** The 95% Wilson score interval of `correct` successes in `n` trials. */
export function wilsonInterval(correct: number, n: number): [number, number] {
  if (n === 0) return [0, 1];
  const z = 1.959963984540054;
  const p = correct / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  // At 0 and n the bounds are exactly 0 and 1; rounding would leave them a hair inside.
  return [correct === 0 ? 0 : Math.max(0, centre - half), correct === n ? 1 : Math.min(1, centre + half)];
}

function checkItems(items: ChoiceItem[]): void {
  if (items.length === 0) throw new Error('multiple choice: no questions');
  items.forEach((it, i) => {
    if (it.options.length < 2) throw new Error(`multiple choice: question ${i} has ${it.options.length} option(s), needs at least 2`);
    if (!Number.isInteger(it.answer) || it.answer < 0 || it.answer >= it.options.length) {
      throw new Error(`multiple choice: question ${i} has answer ${it.answer}, not one of its ${it.options.length} options`);
    }
  });
}

function requestsOf(items: ChoiceItem[]): ContinuationRequest[] {
  return items.flatMap((it) => it.options.map((o) => ({ context: textToBytes(o.context), continuation: textToBytes(o.continuation) })));
}

/** True when the answer scores strictly above every other option: a tie counts as wrong, so the order in
 * which a format lists its options (BLiMP's good sentence first) can never earn accuracy. */
function answerWins(values: number[], answer: number): boolean {
  return values.every((v, i) => i === answer || v < values[answer]);
}

function figure(correct: number, n: number): AccuracyFigure {
  return { correct, accuracy: correct / n, ci95: wilsonInterval(correct, n) };
}

/** Accuracy from the scores of every option of every item, in order. */
export function accuracyFromScores(items: ChoiceItem[], scores: ContinuationScore[]): ChoiceAccuracy {
  let at = 0;
  let sum = 0;
  let perByte = 0;
  let chance = 0;
  for (const it of items) {
    const s = scores.slice(at, at + it.options.length);
    at += it.options.length;
    if (answerWins(s.map((x) => x.logLikelihood), it.answer)) sum++;
    if (answerWins(s.map((x) => x.logLikelihood / x.bytes), it.answer)) perByte++;
    chance += 1 / it.options.length;
  }
  const n = items.length;
  return { count: n, chance: chance / n, sum: figure(sum, n), perByte: figure(perByte, n) };
}

export function multipleChoiceAccuracy(model: StlmModel, items: ChoiceItem[], batchSize = 16): ChoiceAccuracy {
  checkItems(items);
  return accuracyFromScores(items, scoreContinuations(model, requestsOf(items), batchSize));
}

/** The same, awaiting `pause()` between batches (the coordinator scores off its round loop). */
export async function multipleChoiceAccuracyWithPauses(
  model: StlmModel, items: ChoiceItem[], batchSize: number, pause: () => Promise<void>,
): Promise<ChoiceAccuracy> {
  checkItems(items);
  return accuracyFromScores(items, await scoreContinuationsWithPauses(model, requestsOf(items), batchSize, pause));
}
