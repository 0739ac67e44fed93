// `stlm eval --tasks FILE...`: zero-shot multiple-choice accuracy of a model on task files the user passes
// (ARC, WinoGrande, HellaSwag, BLiMP as published, one JSON object a line). Malformed lines are reported on
// stderr with their line numbers and skipped.
import { readTaskFile, type TaskFile } from '../data/tasks/task-file.ts';
import { evaluateTasks, type TaskReport } from '../data/tasks/evaluate-tasks.ts';
import { loadModel, type LoadedModel } from './load-model.ts';

export interface EvalTasksReport {
  /** The model file read. */
  model: string;
  kind: LoadedModel['kind'];
  tasks: TaskReport[];
}

/** Reads every task file first (so a bad one fails before any scoring), then scores them all. */
export async function readTaskFiles(files: string[], warn: (line: string) => void): Promise<TaskFile[]> {
  const tasks: TaskFile[] = [];
  for (const f of files) {
    const t = await readTaskFile(f);
    for (const s of t.skipped) warn(`${f}:${s.line}: skipped: ${s.message}`);
    tasks.push(t);
  }
  return tasks;
}

export async function evalTaskFiles(weights: string, files: string[], batchSize: number, warn: (line: string) => void): Promise<EvalTasksReport> {
  const tasks = await readTaskFiles(files, warn);
  const loaded = await loadModel(weights);
  try {
    return { model: loaded.file, kind: loaded.kind, tasks: evaluateTasks(loaded.model, tasks, batchSize) };
  } finally {
    loaded.model.dispose();
  }
}
