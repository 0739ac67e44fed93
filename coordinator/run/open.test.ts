// --resume falls back to the checkpoint before when the newest one passes its file checks but cannot be
// restored (pruning state or data cursor refused), with a log line naming why; the run dir is locked meanwhile.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { stateText } from '../checkpoints/state-json.ts';
import { loadSettings, type CoordinatorSettings } from '../settings/settings.ts';
import { savedSettings } from './checkpointing.ts';
import { openRun, type OpenedRun } from './open.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stlm-open-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const corpus = path.join(root, 'corpus.txt');
writeFileSync(corpus, 'a small corpus for a resume test, round after round. '.repeat(400));

function capture() {
  const logs: Array<Record<string, unknown>> = [];
  return { logs, logger: pino({ level: 'info' }, { write: (l: string) => logs.push(JSON.parse(l)) }) };
}

async function save(run: OpenedRun, round: number): Promise<string> {
  const state = { ...run.state.snapshot(), round, version: round };
  return run.store.save({ runId: run.runId, config: run.config, settings: savedSettings(run.settings), state, dataCursor: run.dataset.exportCursor() });
}

/** Rewrites a checkpoint's state.json (checksum recomputed, so only the restore can refuse it). */
function rewrite(dir: string, change: (state: Record<string, unknown>) => Record<string, unknown>): void {
  const file = path.join(dir, 'state.json');
  writeFileSync(file, stateText(change(JSON.parse(readFileSync(file, 'utf8')))));
}

describe('openRun --resume', () => {
  it('falls back past checkpoints whose pruning state or data cursor is refused, naming why', async () => {
    const settings: CoordinatorSettings = loadSettings({ overrides: { runDir: path.join(root, 'run'), preset: 'tiny', data: corpus, token: 't', adminToken: 'a' } });
    const fresh = await openRun(settings, pino({ level: 'silent' }));
    fresh.dataset.nextBatch(4);
    await save(fresh, 1);
    const damagedPruning = await save(fresh, 2);
    const otherData = await save(fresh, 3);
    fresh.evalModel.dispose();
    await fresh.lock.release();
    rewrite(damagedPruning, (s) => ({ ...s, pruning: { prune: { target: 'half' } } }));
    rewrite(otherData, (s) => ({ ...s, dataCursor: { ...(s.dataCursor as object), trainExamples: 1 } }));

    const { logs, logger } = capture();
    const resumed = await openRun({ ...settings, resume: true }, logger);
    expect(resumed.state.round).toBe(1);
    expect(resumed.dataset.stats().requeuedBatches).toBe(1);
    const fallbacks = logs.filter((l) => l.msg === 'checkpoint not restored: falling back to the one before');
    expect(fallbacks.map((l) => path.basename(l.path as string))).toEqual(['ckpt-00000003', 'ckpt-00000002']);
    expect(fallbacks[0]!.err).toMatch(/the cursor is for other data/);
    expect(fallbacks[1]!.err).toMatch(/pruning state is damaged \(prune\.target: /);

    // While it runs, the run dir is its own: a second open is refused.
    await expect(openRun({ ...settings, resume: true }, pino({ level: 'silent' }))).rejects.toThrow(/in use by the coordinator with pid/);
    resumed.evalModel.dispose();
    await resumed.lock.release();
  });
});
