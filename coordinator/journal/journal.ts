// What the run has done, as records: rounds (the recent ones), validation results and checkpoints with their
// consolidation figures. Checkpoints carry the rounds and validation records, so a resumed run's history
// continues; /api/status shows them.
import path from 'node:path';
import type { CheckpointRecord, CoordinatorStatus, RoundRecord } from '../../protocol/status.ts';
import { roundTiming } from './round-timing.ts';
import type { RoundDetail } from '../rounds/detail.ts';

/** Rounds kept (and saved in checkpoints); /api/status shows the last STATUS_ROUNDS of them. */
const RECENT_ROUNDS = 200;
const STATUS_ROUNDS = 50;
const STATUS_CHECKPOINTS = 20;

export interface SavedHistory {
  rounds: RoundRecord[];
  validation: Array<{ round: number; bpb: number }>;
}

export class RunJournal {
  private readonly rounds: RoundRecord[] = [];
  private readonly validation: Array<{ round: number; bpb: number }> = [];
  private readonly checkpoints: CheckpointRecord[] = [];

  constructor(saved?: Partial<SavedHistory>) {
    this.rounds.push(...(saved?.rounds ?? []).slice(-RECENT_ROUNDS));
    this.validation.push(...(saved?.validation ?? []));
  }

  get validated(): boolean {
    return this.validation.length > 0;
  }

  recordRound(record: RoundRecord, detail: RoundDetail): void {
    this.rounds.push({ ...record, timing: roundTiming(detail) });
    if (this.rounds.length > RECENT_ROUNDS) this.rounds.shift();
  }

  recordValidation(round: number, bpb: number): void {
    this.validation.push({ round, bpb });
  }

  /** Saving a round again replaces its directory, so it replaces its record too. */
  recordCheckpoint(round: number, path: string): void {
    // The same round saved again replaces its record (the store names that save ckpt-<round>.<n>).
    const again = this.checkpoints.findIndex((c) => c.path === path || c.round === round);
    if (again >= 0) this.checkpoints.splice(again, 1);
    this.checkpoints.push({ round, path, at: new Date().toISOString() });
  }

  recordConsolidation(path: string, summary: Record<string, unknown>): void {
    const record = this.checkpoints.find((c) => c.path === path);
    if (record) record.consolidation = summary;
  }

  /** What a checkpoint saves of the history. */
  saved(): SavedHistory {
    return { rounds: this.rounds.slice(-RECENT_ROUNDS), validation: [...this.validation] };
  }

  status(): Pick<CoordinatorStatus, 'recentLoss' | 'lastValidationBpb' | 'validation' | 'checkpoints'> {
    return {
      recentLoss: this.rounds.slice(-STATUS_ROUNDS),
      lastValidationBpb: this.validation.at(-1)?.bpb ?? null,
      validation: [...this.validation],
      // By name within the run dir: where the run dir is on the host is nobody's business.
      checkpoints: this.checkpoints.slice(-STATUS_CHECKPOINTS).map((c) => ({ ...c, path: path.basename(c.path) })),
    };
  }
}
