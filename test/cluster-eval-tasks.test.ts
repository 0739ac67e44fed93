// `--eval-tasks` inside a running swarm: a real coordinator and Node peer train the tiny preset, each periodic
// checkpoint is consolidated and the task files are scored on both models in the background, and the figures
// reach /api/status and /metrics over HTTP. A task file with no valid line stops the coordinator at start.
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';
import type { CoordinatorStatus } from '../protocol/status.ts';

const logger = pino({ level: 'warn' });
const root = mkdtempSync(path.join(tmpdir(), 'stlm-eval-tasks-run-'));
const peers: NodePeerHandle[] = [];
const coordinators: RunningCoordinator[] = [];

afterAll(async () => {
  for (const p of peers) p.stop();
  for (const c of coordinators) await c.close();
  rmSync(root, { recursive: true, force: true });
});

const winogrande = path.join(root, 'wino.jsonl');
writeFileSync(winogrande, [
  { sentence: 'The dog ran to the _ to play.', option1: 'park', option2: 'sea', answer: '1' },
  { sentence: 'Fish swim in the _ all day.', option1: 'mat', option2: 'sea', answer: '2' },
  { sentence: 'She put the _ on the table.', option1: 'cup', option2: 'sky', answer: '1' },
].map((l) => JSON.stringify(l)).join('\n') + '\nnot json\n');

function settings(evalTasks: string[], runDir: string) {
  return loadSettings({
    overrides: {
      port: 0, host: '127.0.0.1', preset: 'tiny', codec: 'int8', batchSize: 4, maxRounds: 4, evalEvery: 0,
      checkpointEvery: 2, keepCheckpoints: 10, runDir, token: 'tasks', seed: 5, validationExamples: 8,
      deadline: { minMs: 60_000 }, evalTasks,
    },
  });
}

describe('coordinator --eval-tasks', () => {
  it('scores the tasks on the dense and consolidated model of the checkpoints; status and metrics show them', async () => {
    const coord = await startCoordinator(settings([winogrande], path.join(root, 'run')), { logger });
    coordinators.push(coord);
    const peer = startNodePeer({ url: coord.url, token: 'tasks', logger });
    peers.push(peer);
    await coord.run.finished;
    peer.stop();

    const status = (await (await fetch(`${coord.url}/api/status`)).json()) as CoordinatorStatus;
    expect(status.round).toBe(4);
    const tasks = status.tasks!;
    expect(tasks.files).toEqual(['wino.jsonl']); // base names: no host paths in the status
    expect(tasks.lastError).toBeNull();
    // The background job skips a checkpoint when a newer one waits, so the last one is always scored.
    expect(tasks.last!.round).toBe(4);
    expect(tasks.last!.checkpoint).toBe('ckpt-00000004');
    for (const list of [tasks.last!.dense, tasks.last!.consolidated!]) {
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ task: 'wino.jsonl', format: 'winogrande', count: 3, skipped: 1, chance: 0.5 });
      expect(list[0].sum.ci95[0]).toBeLessThanOrEqual(list[0].sum.accuracy);
    }
    const metrics = await (await fetch(`${coord.url}/metrics`)).text();
    for (const model of ['dense', 'consolidated']) {
      for (const rule of ['sum', 'per_byte']) expect(metrics).toMatch(new RegExp(`stlm_task_accuracy\\{task="wino.jsonl",model="${model}",rule="${rule}"\\} [0-9.]+`));
    }
    await coord.close();
  }, 240_000);

  it('a task file with no valid line stops the coordinator before it starts', async () => {
    const bad = path.join(root, 'bad.jsonl');
    writeFileSync(bad, '{"question": "q"}\n');
    await expect(startCoordinator(settings([bad], path.join(root, 'bad-run')), { logger })).rejects.toThrow(/bad\.jsonl: no valid task line \(line 1: fields question match no task format/);
  });
});
