// Zero-shot multiple choice at each checkpoint (`stlm coordinator --eval-tasks FILE...`): the checkpoint's dense
// weights and, when the checkpoint has been consolidated, its model.stlmq, scored on the task files. Runs in the
// background job after a checkpoint (after its consolidation), never in the round loop, and yields to the event
// loop between batches, so peers are served while it scores. A failure is kept for /api/status; the run goes on.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { StlmModel } from '../../model/stlm.ts';
import { loadConsolidated } from '../../model/compress/consolidate.ts';
import { readTaskFile, type TaskFile } from '../../data/tasks/task-file.ts';
import { evaluateTasksWithPauses, type TaskReport } from '../../data/tasks/evaluate-tasks.ts';
import type { TaskEvalRecord, TaskEvalStatus } from '../../protocol/status.ts';
import { CONSOLIDATED_FILE } from '../checkpoints/layout.ts';
import type { CheckpointStore } from '../checkpoints/store.ts';
import type { CoordinatorMetrics } from '../journal/metrics.ts';

/** Reads every task file at start-up: a file with no valid line stops the coordinator before it trains. */
export async function loadTaskFiles(files: string[], logger: Logger): Promise<TaskFile[]> {
  const tasks: TaskFile[] = [];
  for (const f of files) {
    const t = await readTaskFile(f);
    for (const s of t.skipped) logger.warn({ file: f, line: s.line, err: s.message }, 'task file: line skipped');
    tasks.push(t);
  }
  return tasks;
}

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface CheckpointTaskEvalOptions {
  tasks: TaskFile[];
  store: CheckpointStore;
  metrics: CoordinatorMetrics;
  logger: Logger;
  /** Examples per forward pass (default 8: short pauses between batches). */
  batchSize?: number;
}

export class CheckpointTaskEval {
  private last: TaskEvalRecord | null = null;
  private lastError: string | null = null;

  constructor(private readonly o: CheckpointTaskEvalOptions) {}

  /** What /api/status shows. Tasks are named by their files' base names: no host paths leave the coordinator. */
  status(): TaskEvalStatus {
    return { files: this.o.tasks.map((t) => path.basename(t.name)), last: this.last, lastError: this.lastError };
  }

  /** Scores the checkpoint in `dir`; never throws (a failure is logged and kept for the status). */
  async evaluate(dir: string): Promise<TaskEvalRecord | null> {
    const started = Date.now();
    try {
      const record = await this.o.store.withLease(dir, async (lease) => {
        const { dense, round } = await this.o.store.readDense(lease);
        const consolidated = await readConsolidated(lease.path);
        const model = StlmModel.create(dense.config, 0);
        try {
          model.setWeights(dense.weights);
          const denseScores = await this.score(model);
          let consolidatedScores: TaskReport[] | null = null;
          if (consolidated) {
            model.setWeights(consolidated);
            consolidatedScores = await this.score(model);
          }
          return { round, checkpoint: path.basename(dir), at: new Date().toISOString(), ms: Date.now() - started, dense: denseScores, consolidated: consolidatedScores };
        } finally {
          model.dispose();
        }
      });
      this.last = record;
      this.lastError = null;
      this.publish(record);
      this.o.logger.info({ round: record.round, tasks: record.dense.map((t) => [t.task, t.sum.accuracy]), ms: record.ms }, 'tasks scored');
      return record;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.o.logger.error({ path: dir, err: this.lastError }, 'task evaluation failed');
      return null;
    }
  }

  private async score(model: StlmModel): Promise<TaskReport[]> {
    const reports = await evaluateTasksWithPauses(model, this.o.tasks, this.o.batchSize ?? 8, pause);
    return reports.map((r) => ({ ...r, task: path.basename(r.task) }));
  }

  private publish(r: TaskEvalRecord): void {
    for (const [kind, reports] of [['dense', r.dense], ['consolidated', r.consolidated]] as const) {
      for (const t of reports ?? []) this.o.metrics.setTaskAccuracy(t.task, kind, t.sum.accuracy, t.perByte.accuracy);
    }
  }
}

/** The consolidated weights of a checkpoint, or null when it has not been consolidated. */
async function readConsolidated(dir: string): Promise<Float32Array | null> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path.join(dir, CONSOLIDATED_FILE)));
  } catch {
    return null;
  }
  return loadConsolidated(bytes).weights;
}
