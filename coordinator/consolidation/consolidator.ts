// CheckpointConsolidator: the three hooks the coordinator's round loop needs for consolidation, one-shot or
// gradual, so wiring it is three calls:
//   after every optimizer step on the master weights:   consolidator.afterOptimizerStep(weights)
//   just before a checkpoint is written:                 consolidator.beforeCheckpoint(weights, manifest)
//   right after it is written (dir = its directory):     const report = await consolidator.consolidate(store, dir, validation)
// and its state (the gradual masks) saved with the checkpoint: exportState() / importState().
import { z } from 'zod';
import type { ParamManifest } from '../../model/params.ts';
import type { QuantMode } from '../../model/compress/consolidate.ts';
import type { PruneScope, SparsityTarget } from '../../model/compress/prune.ts';
import { PruneSchedule, type PruneScheduleSpec, type PruneScheduleState } from '../../model/compress/schedule.ts';
import type { CheckpointStore } from '../checkpoints/store.ts';
import { consolidateCheckpoint, summary, type ConsolidationReport } from './consolidate-checkpoint.ts';

export interface ConsolidationPolicy {
  /** Final sparsity (default 0.5). */
  sparsity?: SparsityTarget;
  /** Default 'int8'. */
  quant?: QuantMode;
  scope?: PruneScope;
  pruneEmbedding?: boolean;
  /** Default one-shot: training never sees a mask, each checkpoint is pruned from the dense weights. */
  schedule?: PruneScheduleSpec;
}

export interface ConsolidatorState {
  prune: PruneScheduleState | null;
}

const count = z.number().int().nonnegative();
/** What a checkpoint's `pruning` must look like (PruneSchedule and MaskSet check it against the model). */
const consolidatorStateSchema = z.object({
  prune: z
    .object({
      target: z.number().min(0).max(1),
      span: z.number().int().positive(),
      initial: z.number().min(0).max(1),
      scope: z.enum(['per-tensor', 'global']),
      pruneEmbedding: z.boolean(),
      step: count,
      masks: z.object({ numParams: count, masks: z.array(z.object({ name: z.string(), size: count, bits: z.string() })) }).nullable(),
    })
    .nullable(),
});

/** A checkpoint's `pruning` field, checked; throws naming the first field that is wrong. */
export function parseConsolidatorState(saved: unknown): ConsolidatorState {
  const parsed = consolidatorStateSchema.safeParse(saved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`the checkpoint's pruning state is damaged (${issue.path.join('.') || 'pruning'}: ${issue.message})`);
  }
  return parsed.data;
}

export class CheckpointConsolidator {
  readonly sparsity: SparsityTarget;
  readonly quant: QuantMode;
  readonly scope: PruneScope;
  readonly pruneEmbedding: boolean;
  private schedule: PruneSchedule | null;
  private lastReport: ReturnType<typeof summary> | null = null;

  constructor(policy: ConsolidationPolicy = {}) {
    this.sparsity = policy.sparsity ?? 0.5;
    this.quant = policy.quant ?? 'int8';
    this.scope = policy.scope ?? 'per-tensor';
    this.pruneEmbedding = policy.pruneEmbedding ?? false;
    const spec = policy.schedule ?? { kind: 'oneshot' };
    if (spec.kind === 'gradual') {
      if (this.sparsity === '2:4') throw new Error('consolidation: 2:4 sparsity has no gradual schedule; use oneshot');
      this.schedule = new PruneSchedule({ target: this.sparsity, span: spec.span, scope: this.scope, pruneEmbedding: this.pruneEmbedding });
    } else {
      this.schedule = null;
    }
  }

  get gradual(): boolean {
    return this.schedule !== null;
  }

  /** The sparsity the next consolidation prunes to: the target, or where the gradual schedule has got to. */
  get currentSparsity(): SparsityTarget {
    return this.schedule ? this.schedule.currentSparsity : this.sparsity;
  }

  /** Keeps pruned master weights at exactly 0 (gradual schedule); a no-op for one-shot. */
  afterOptimizerStep(weights: Float32Array): void {
    this.schedule?.apply(weights);
  }

  /** Gradual schedule: raises the sparsity one step and zeroes the newly pruned master weights in place, so
   * the checkpoint about to be written already carries them. A no-op for one-shot. */
  beforeCheckpoint(weights: Float32Array, manifest: ParamManifest): void {
    if (this.schedule && !this.schedule.done) this.schedule.advance(weights, manifest);
    else this.schedule?.apply(weights);
  }

  /** Consolidates `store`'s checkpoint in `dir` and measures it; the summary is kept for /api/status. */
  async consolidate(store: CheckpointStore, dir: string, validation: Uint8Array[]): Promise<ConsolidationReport> {
    const masks = this.schedule?.maskSet;
    const report = await consolidateCheckpoint(store, dir, {
      sparsity: this.currentSparsity,
      masks: masks ? masks.toMap() : undefined,
      quant: this.quant, scope: this.scope, pruneEmbedding: this.pruneEmbedding, validation,
    });
    this.lastReport = summary(report);
    return report;
  }

  /** The latest consolidation's figures (no per-tensor codecs), or null. */
  get last(): ReturnType<typeof summary> | null {
    return this.lastReport;
  }

  exportState(): ConsolidatorState {
    return { prune: this.schedule?.exportState() ?? null };
  }

  importState(manifest: ParamManifest, s: ConsolidatorState): void {
    if (!this.schedule) {
      if (s.prune) throw new Error('consolidation: the checkpoint has gradual pruning state but this run is one-shot');
      return;
    }
    if (!s.prune) throw new Error('consolidation: this run prunes gradually but the checkpoint has no pruning state');
    this.schedule = PruneSchedule.importState(manifest, s.prune);
  }
}
