// RunJournal: rounds kept with their timing, checkpoints replaced when a round is saved again, consolidation
// figures attached to their checkpoint, and a saved history that continues after a resume.
import { describe, expect, it } from 'vitest';
import { RunJournal } from './journal.ts';
import type { RoundDetail } from '../rounds/detail.ts';

const detail = { waitMs: 30, aggregateMs: 5, broadcastMs: 2, accepted: [{ computeMs: 20, encodeMs: 4 }] } as unknown as RoundDetail;
const record = (round: number) => ({ round, version: round, loss: 2, bytes: 100, peers: 1, rejected: 0, durationMs: 40, at: '' });

describe('RunJournal', () => {
  it('keeps rounds with their time split, validation and checkpoints for the status', () => {
    const j = new RunJournal();
    for (let r = 0; r < 260; r++) j.recordRound(record(r), detail);
    j.recordValidation(10, 3.5);
    j.recordCheckpoint(10, '/run/ckpt-10');
    j.recordCheckpoint(10, '/run/ckpt-10'); // the same round saved again replaces its record
    j.recordConsolidation('/run/ckpt-10', { sizeRatio: 0.2 });
    const s = j.status();
    expect(s.recentLoss).toHaveLength(50);
    expect(s.recentLoss.at(-1)!.round).toBe(259);
    expect(s.recentLoss[0]!.timing).toEqual({ computeMs: 24, transferMs: 6, aggregationMs: 5, broadcastMs: 2 });
    expect(s.lastValidationBpb).toBe(3.5);
    expect(s.checkpoints).toHaveLength(1);
    expect(s.checkpoints[0]!.path).toBe('ckpt-10'); // by name: the host's directories are not shown
    expect(s.checkpoints[0]!.consolidation).toEqual({ sizeRatio: 0.2 });
    expect(j.saved().rounds).toHaveLength(200);
  });

  it('continues from a saved history', () => {
    const j = new RunJournal({ rounds: [record(1), record(2)], validation: [{ round: 2, bpb: 4 }] });
    expect(j.validated).toBe(true);
    j.recordRound(record(3), detail);
    expect(j.saved().rounds.map((r) => r.round)).toEqual([1, 2, 3]);
    expect(new RunJournal().validated).toBe(false);
  });
});
