// The dashboard's multiple-choice table from /api/status's `tasks`.
import { describe, expect, it } from 'vitest';
import type { TaskAccuracy, TaskEvalStatus } from '../protocol/status.ts';
import { describeTasks, taskTableRows } from './tasks-view.ts';

const acc = (task: string, accuracy: number, perByte: number): TaskAccuracy => ({
  task, format: 'arc', count: 200, skipped: 0, chance: 0.25,
  sum: { correct: accuracy * 200, accuracy, ci95: [accuracy - 0.05, accuracy + 0.05] },
  perByte: { correct: perByte * 200, accuracy: perByte, ci95: [perByte - 0.06, perByte + 0.06] },
});

describe('tasks view', () => {
  it('one row per task: dense and consolidated side by side, with their intervals and the chance level', () => {
    const t: TaskEvalStatus = {
      files: ['/data/arc.jsonl', 'b.jsonl'],
      last: { round: 40, checkpoint: 'ckpt-00000040', at: '2026-12-02T00:00:00Z', ms: 12_345, dense: [acc('/data/arc.jsonl', 0.3, 0.35), acc('b.jsonl', 0.5, 0.5)], consolidated: [acc('/data/arc.jsonl', 0.28, 0.33)] },
      lastError: null,
    };
    expect(taskTableRows(t)).toEqual([
      ['arc.jsonl', 'arc', '200', '25.0%', '30.0% [25.0%, 35.0%]', '35.0% [29.0%, 41.0%]', '28.0% [23.0%, 33.0%]', '33.0% [27.0%, 39.0%]'],
      ['b.jsonl', 'arc', '200', '25.0%', '50.0% [45.0%, 55.0%]', '50.0% [44.0%, 56.0%]', '-', '-'],
    ]);
    expect(describeTasks(t)).toBe('Checkpoint ckpt-00000040 (round 40), scored in 12.3 s.');
  });

  it('before the first checkpoint, and after a failure', () => {
    const t: TaskEvalStatus = { files: ['a.jsonl'], last: null, lastError: 'checkpoint x has no readable weights.stlm' };
    expect(taskTableRows(t)).toEqual([]);
    expect(describeTasks(t)).toBe('1 task file(s); scored at each checkpoint, none yet. Last evaluation failed: checkpoint x has no readable weights.stlm');
  });
});
