// Scores task files with a model: the report `stlm eval --tasks` prints and the coordinator publishes.
import type { StlmModel } from '../../model/stlm.ts';
import { multipleChoiceAccuracy, multipleChoiceAccuracyWithPauses, type ChoiceAccuracy } from '../../model/choice-eval.ts';
import type { TaskFile } from './task-file.ts';
import type { TaskFormat } from './formats.ts';

export interface TaskReport extends ChoiceAccuracy {
  /** The task file's name. */
  task: string;
  format: TaskFormat;
  /** Malformed lines skipped. */
  skipped: number;
}

function report(t: TaskFile, a: ChoiceAccuracy): TaskReport {
  return { task: t.name, format: t.format, skipped: t.skipped.length, ...a };
}

export function evaluateTasks(model: StlmModel, tasks: TaskFile[], batchSize = 16): TaskReport[] {
  return tasks.map((t) => report(t, multipleChoiceAccuracy(model, t.items, batchSize)));
}

/** The same, awaiting `pause()` between batches, so a server keeps serving while it scores. */
export async function evaluateTasksWithPauses(
  model: StlmModel, tasks: TaskFile[], batchSize: number, pause: () => Promise<void>,
): Promise<TaskReport[]> {
  const out: TaskReport[] = [];
  for (const t of tasks) out.push(report(t, await multipleChoiceAccuracyWithPauses(model, t.items, batchSize, pause)));
  return out;
}
