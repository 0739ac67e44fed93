// Task files as published: each format recognised from its fields and turned into the options to score;
// malformed lines reported with their line numbers and skipped; a file with no valid line refused.
import { describe, expect, it } from 'vitest';
import { parseTaskText } from './task-file.ts';

const jsonl = (...lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

describe('formats', () => {
  it('ARC: question as context, each choice as " text", answerKey matched to its label', () => {
    const t = parseTaskText(jsonl({
      id: 'x', question: 'Which is a mammal?', choices: { text: ['shark', 'whale', 'trout'], label: ['A', 'B', 'C'] }, answerKey: 'B',
    }, { question: 'Two?', choices: { text: ['one', 'two'], label: [1, 2] }, answerKey: 2 }), 'arc.jsonl');
    expect(t.format).toBe('arc');
    expect(t.items[0]).toEqual({
      options: ['shark', 'whale', 'trout'].map((c) => ({ context: 'Question: Which is a mammal?\nAnswer:', continuation: ` ${c}` })),
      answer: 1,
    });
    expect(t.items[1].answer).toBe(1);
  });

  it('WinoGrande: the option fills the blank and the rest of the sentence is the continuation', () => {
    const t = parseTaskText(jsonl({ sentence: 'The trophy did not fit in the _ because it was small.', option1: 'suitcase', option2: 'trophy', answer: '1' }), 'w');
    expect(t.format).toBe('winogrande');
    expect(t.items[0]).toEqual({
      options: [
        { context: 'The trophy did not fit in the suitcase', continuation: ' because it was small.' },
        { context: 'The trophy did not fit in the trophy', continuation: ' because it was small.' },
      ],
      answer: 0,
    });
  });

  it('HellaSwag: ctx as context, each ending as " ending", label as a string or a number', () => {
    const t = parseTaskText(jsonl({ ctx: 'A man walks', endings: ['in.', 'out.', 'up.', 'down.'], label: '3' }, { ctx: 'b', endings: ['x', 'y'], label: 0 }), 'h');
    expect(t.format).toBe('hellaswag');
    expect(t.items[0].options[3]).toEqual({ context: 'A man walks', continuation: ' down.' });
    expect(t.items.map((i) => i.answer)).toEqual([3, 0]);
  });

  it('HellaSwag: the activity label leads the context, and the bracket markers of its WikiHow part are cleaned as the harness does', () => {
    const t = parseTaskText(jsonl({
      activity_label: 'Home and Garden', ctx: '[header] How to plant a tree [title] Dig a hole.  Then', endings: ['[step] water it.', 'fly.'], label: '0',
    }), 'h');
    expect(t.items[0].options.map((o) => [o.context, o.continuation])).toEqual([
      // The harness trims before it removes a marker, so "[step] water it." keeps its space: two in all.
      ['Home and Garden: How to plant a tree. Dig a hole. Then', '  water it.'],
      ['Home and Garden: How to plant a tree. Dig a hole. Then', ' fly.'],
    ]);
  });

  it('BLiMP: the two sentences scored whole, the good one is the answer', () => {
    const t = parseTaskText(jsonl({ sentence_good: 'Cats sleep.', sentence_bad: 'Cats sleeps.', field: 'x' }), 'b');
    expect(t.format).toBe('blimp');
    expect(t.items[0]).toEqual({ options: [{ context: '', continuation: 'Cats sleep.' }, { context: '', continuation: 'Cats sleeps.' }], answer: 0 });
  });
});

describe('bad lines', () => {
  it('are reported with their line numbers and why, and skipped', () => {
    const text = jsonl(
      { sentence: 'A _ b.', option1: 'x', option2: 'y', answer: '2' },
      '{"sentence": "broken',
      '',
      { sentence: 'no blank here.', option1: 'x', option2: 'y', answer: '1' },
      { sentence: 'A _ b.', option1: 'x', option2: 'y', answer: '3' },
      { ctx: 'a', endings: ['b', 'c'], label: 1 },
      { hello: 1 },
      [1, 2],
      { sentence: 'A _ b.', option1: '', option2: 'y', answer: '1' },
      { sentence: 'Ends with _', option1: 'x', option2: 'y', answer: '1' },
    );
    const t = parseTaskText(text, 'w.jsonl');
    expect(t.items).toHaveLength(1);
    expect(t.skipped.map((s) => s.line)).toEqual([2, 4, 5, 6, 7, 8, 9, 10]);
    const why = t.skipped.map((s) => s.message);
    expect(why[0]).toMatch(/not valid JSON/);
    expect(why[1]).toMatch(/exactly one "_"/);
    expect(why[2]).toMatch(/answer must be "1" or "2"/);
    expect(why[3]).toMatch(/a hellaswag line in a winogrande file/);
    expect(why[4]).toMatch(/match no task format/);
    expect(why[5]).toMatch(/not a JSON object/);
    expect(why[6]).toMatch(/option1/);
    expect(why[7]).toMatch(/nothing follows the blank/);
  });

  it('ARC with an answerKey that is no label, HellaSwag without a label (a test split) are skipped', () => {
    const t = parseTaskText(jsonl(
      { question: 'q', choices: { text: ['a', 'b'], label: ['A', 'B'] }, answerKey: 'C' },
      { question: 'q', choices: { text: ['a', 'b'], label: ['A'] }, answerKey: 'A' },
      { question: 'q', choices: { text: ['a', 'b'], label: ['A', 'B'] }, answerKey: 'A' },
    ), 'arc');
    expect(t.skipped.map((s) => [s.line, s.message])).toEqual([
      [1, 'answerKey "C" is not one of the labels A, B'],
      [2, expect.stringMatching(/label/)],
    ]);
    const h = parseTaskText(jsonl({ ctx: 'a', endings: ['b', 'c'], label: '' }, { ctx: 'a', endings: ['b', 'c'], label: '1' }), 'h');
    expect(h.skipped).toEqual([{ line: 1, message: expect.stringMatching(/label must be an ending's index/) }]);
  });

  it('a file with no valid line is an error that names the file and the first problems', () => {
    expect(() => parseTaskText('', 'empty.jsonl')).toThrow('empty.jsonl: no valid task line (the file is empty)');
    expect(() => parseTaskText('nope\n{"a":1}', 'bad.jsonl')).toThrow(/bad\.jsonl: no valid task line \(line 1: not valid JSON; line 2: fields a match no task format/);
  });
});
