// The multiple-choice task formats, as their data sets are published (one JSON object a line), and how each
// turns into options to score. A line's format is recognised from its fields; its schema then checks it.
// The prompts follow the usual zero-shot harness (EleutherAI lm-evaluation-harness), which the STLM
// reference code also scores by the log-likelihood of each option's text.
import { z } from 'zod';
import type { ChoiceItem } from '../../model/choice-eval.ts';

export type TaskFormat = 'arc' | 'winogrande' | 'hellaswag' | 'blimp';

const nonEmpty = z.string().min(1);
/** Labels and answers are published as strings ("1") in some releases and numbers in others. */
const label = z.union([z.string(), z.number().int()]).transform((v) => String(v).trim());

const arcLine = z.object({
  question: nonEmpty,
  choices: z.object({ text: z.array(nonEmpty).min(2), label: z.array(label).min(2) }),
  answerKey: label,
});

const winograndeLine = z.object({
  sentence: nonEmpty,
  option1: nonEmpty,
  option2: nonEmpty,
  answer: label,
});

const hellaswagLine = z.object({
  activity_label: z.string().optional(),
  ctx: nonEmpty,
  endings: z.array(nonEmpty).min(2),
  label,
});

const blimpLine = z.object({ sentence_good: nonEmpty, sentence_bad: nonEmpty });

/** The fields that tell a format apart, checked in this order. */
const SIGNATURES: Array<{ format: TaskFormat; fields: string[] }> = [
  { format: 'arc', fields: ['question', 'choices', 'answerKey'] },
  { format: 'winogrande', fields: ['sentence', 'option1', 'option2'] },
  { format: 'hellaswag', fields: ['ctx', 'endings'] },
  { format: 'blimp', fields: ['sentence_good', 'sentence_bad'] },
];

/** The format whose fields the object has, or undefined. */
export function recogniseFormat(obj: Record<string, unknown>): TaskFormat | undefined {
  return SIGNATURES.find((s) => s.fields.every((f) => f in obj))?.format;
}

function arcItem(raw: unknown): ChoiceItem {
  const l = arcLine.parse(raw);
  const { text, label: labels } = l.choices;
  if (text.length !== labels.length) throw new Error(`choices has ${text.length} texts and ${labels.length} labels`);
  const answer = labels.indexOf(l.answerKey);
  if (answer < 0) throw new Error(`answerKey "${l.answerKey}" is not one of the labels ${labels.join(', ')}`);
  const context = `Question: ${l.question}\nAnswer:`;
  return { options: text.map((t) => ({ context, continuation: ` ${t}` })), answer };
}

function winograndeItem(raw: unknown): ChoiceItem {
  const l = winograndeLine.parse(raw);
  const blank = l.sentence.indexOf('_');
  if (blank < 0 || l.sentence.indexOf('_', blank + 1) >= 0) throw new Error('sentence must have exactly one "_"');
  const rest = l.sentence.slice(blank + 1).trimEnd();
  if (rest.trim() === '') throw new Error('nothing follows the blank: the rest of the sentence is what is scored');
  if (l.answer !== '1' && l.answer !== '2') throw new Error(`answer must be "1" or "2", got "${l.answer}"`);
  const before = l.sentence.slice(0, blank);
  // The option fills the blank; the rest of the sentence, the same for both, is scored given it.
  return { options: [l.option1, l.option2].map((o) => ({ context: before + o, continuation: rest })), answer: Number(l.answer) - 1 };
}

/** The harness's clean-up of HellaSwag text: the brackets are artifacts of its WikiHow part. */
export function hellaswagText(text: string): string {
  return text.trim().replaceAll(' [title]', '. ').replace(/\[.*?\]/g, '').replaceAll('  ', ' ');
}

function hellaswagItem(raw: unknown): ChoiceItem {
  const l = hellaswagLine.parse(raw);
  const answer = Number(l.label);
  if (l.label === '' || !Number.isInteger(answer) || answer < 0 || answer >= l.endings.length) {
    throw new Error(`label must be an ending's index 0..${l.endings.length - 1}, got "${l.label}"`);
  }
  const context = hellaswagText(l.activity_label ? `${l.activity_label}: ${l.ctx}` : l.ctx);
  return { options: l.endings.map((e) => ({ context, continuation: ` ${hellaswagText(e)}` })), answer };
}

function blimpItem(raw: unknown): ChoiceItem {
  const l = blimpLine.parse(raw);
  // Each sentence scored whole; the grammatical one should be the likelier. Ties count as wrong.
  return { options: [{ context: '', continuation: l.sentence_good }, { context: '', continuation: l.sentence_bad }], answer: 0 };
}

/** A parsed line in a given format as options to score; throws a message that says what is wrong. */
export function itemOf(format: TaskFormat, raw: unknown): ChoiceItem {
  try {
    switch (format) {
      case 'arc': return arcItem(raw);
      case 'winogrande': return winograndeItem(raw);
      case 'hellaswag': return hellaswagItem(raw);
      case 'blimp': return blimpItem(raw);
      default: { const _: never = format; throw new Error(`unknown format ${String(_)}`); }
    }
  } catch (e) {
    if (e instanceof z.ZodError) {
      throw new Error(e.issues.map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; '));
    }
    throw e;
  }
}
