import { mkdtempSync, mkdirSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RECIPES } from '../../model/recipe.ts';
import { DEFAULT_SETTINGS, loadSettings, parseSettings } from './settings.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'stlm-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSettings', () => {
  it('gives the documented defaults and generates the per-run fields', () => {
    const s = loadSettings({ cwd: dir });
    expect(s).toMatchObject({
      port: 8080, host: '0.0.0.0', preset: 'small', data: undefined, codec: 'int8', aggregator: 'median',
      localSteps: 1, iceServers: [], outer: { lr: 0.7, momentum: 0.9 },
    });
    expect(s.token).toMatch(/^[0-9a-f]{24}$/);
    expect(s.adminToken).toMatch(/^[0-9a-f]{32}$/);
    expect(s.adminToken).not.toBe(s.token);
    expect(s.runDir).toBe(path.join(dir, 'runs', s.runId));
    // Two runs get different ids and tokens.
    const t = loadSettings({ cwd: dir });
    expect(t.runId).not.toBe(s.runId);
    expect(t.token).not.toBe(s.token);
  });

  it('layers defaults < config file < overrides, nested fields merged, flat aliases mapped', () => {
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 9000, preset: 'tiny', schedule: { warmupSteps: 5 }, aggregator: 'median', token: 'f' }));
    const s = loadSettings({ configFile: file, overrides: { port: 0, lr: 0.01, outerMomentum: 0.5, token: undefined } });
    expect(s.port).toBe(0);
    expect(s.preset).toBe('tiny');
    expect(s.aggregator).toBe('median');
    expect(s.token).toBe('f'); // an undefined override (flag not given) keeps the file's value
    // The preset's recipe fills what neither the file nor the flags give (minLr, batch size).
    expect(s.schedule).toEqual({ ...DEFAULT_SETTINGS.schedule, minLr: RECIPES.tiny.minLr, warmupSteps: 5, maxLr: 0.01 });
    expect(s.batchSize).toBe(RECIPES.tiny.batch);
    expect(loadSettings({ cwd: dir, overrides: { preset: 'tiny', batchSize: 3 } }).batchSize).toBe(3);
    expect(s.outer).toEqual({ lr: 0.7, momentum: 0.5 });
  });

  it('names the bad field', () => {
    expect(() => loadSettings({ overrides: { port: 70000 } })).toThrow(/settings\.port/);
    expect(() => loadSettings({ overrides: { preset: 'huge' } })).toThrow(/settings\.preset/);
    expect(() => loadSettings({ overrides: { aggregator: 'mode' } })).toThrow(/settings\.aggregator/);
    expect(() => loadSettings({ overrides: { localSteps: 0 } })).toThrow(/settings\.localSteps/);
    expect(() => loadSettings({ overrides: { batchSize: 2.5 } })).toThrow(/settings\.batchSize/);
    expect(() => loadSettings({ overrides: { lr: -1 } })).toThrow(/settings\.schedule\.maxLr/);
    expect(() => loadSettings({ overrides: { minLr: 1, lr: 0.1 } })).toThrow(/settings\.schedule\.minLr: minLr must be <= maxLr/);
    expect(() => loadSettings({ overrides: { iceServers: [{ urls: 'http://x' }] } })).toThrow(/settings\.iceServers\.0\.urls/);
    // No more, and no longer, than a welcome message carries to the peers.
    const many = Array.from({ length: 17 }, (_, i) => ({ urls: `stun:host${i}:3478` }));
    expect(() => loadSettings({ overrides: { iceServers: many } })).toThrow(/settings\.iceServers: at most 16 ICE servers/);
    expect(() => loadSettings({ overrides: { iceServers: [{ urls: `turn:${'x'.repeat(3000)}` }] } })).toThrow(/settings\.iceServers\.0\.urls/);
    expect(() => loadSettings({ overrides: { portt: 1 } })).toThrow(/unknown field\(s\) "portt"/);
    expect(() => loadSettings({ overrides: { deadline: { minMs: 10_000, maxMs: 5_000 } } })).toThrow(/settings\.deadline\.minMs/);
  });

  it('lists every bad field at once', () => {
    let msg = '';
    try {
      parseSettings({ ...DEFAULT_SETTINGS, runId: 'x', runDir: 'r', token: 't', adminToken: 'a', port: -1, codec: 'zip' });
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/settings\.port/);
    expect(msg).toMatch(/settings\.codec/);
  });

  it('reports an unreadable or malformed config file', () => {
    expect(() => loadSettings({ configFile: path.join(dir, 'missing.json') })).toThrow(/cannot read it \(ENOENT\)/);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{ port: 1');
    expect(() => loadSettings({ configFile: bad })).toThrow(/not valid JSON/);
    writeFileSync(bad, '[1]');
    expect(() => loadSettings({ configFile: bad })).toThrow(/JSON object/);
  });

  it('--resume without a run dir picks the newest run holding a checkpoint', () => {
    const cwd = path.join(dir, 'resume');
    expect(() => loadSettings({ cwd, overrides: { resume: true } })).toThrow(/settings\.runDir/);
    for (const [name, ckpt, t] of [['old', true, 1_000], ['new', true, 2_000], ['newest-empty', false, 3_000]] as const) {
      const d = path.join(cwd, 'runs', name);
      mkdirSync(ckpt ? path.join(d, 'ckpt-000001') : d, { recursive: true });
      utimesSync(d, t, t);
    }
    expect(loadSettings({ cwd, overrides: { resume: true } }).runDir).toBe(path.join(cwd, 'runs', 'new'));
    expect(loadSettings({ cwd, overrides: { resume: true, runDir: 'x' } }).runDir).toBe('x');
  });

  it('consolidation: defaults, flat CLI aliases, and schedules that cannot work refused', () => {
    expect(loadSettings({ cwd: dir }).consolidation).toEqual({
      atCheckpoints: true, sparsity: 0.5, quant: 'int8', scope: 'per-tensor', schedule: 'oneshot', pruneEmbedding: false,
    });
    const c = loadSettings({ cwd: dir, overrides: { sparsity: 0.75, pruneSchedule: 'gradual:6', pruneScope: 'global', consolidate: false } }).consolidation;
    expect(c).toMatchObject({ sparsity: 0.75, schedule: 'gradual:6', scope: 'global', atCheckpoints: false, quant: 'int8' });
    expect(loadSettings({ cwd: dir, overrides: { sparsity: '2:4' } }).consolidation.sparsity).toBe('2:4');
    expect(() => loadSettings({ cwd: dir, overrides: { sparsity: 1 } })).toThrow(/settings\.consolidation\.sparsity/);
    expect(() => loadSettings({ cwd: dir, overrides: { pruneSchedule: 'gradual:0' } })).toThrow(/settings\.consolidation\.schedule/);
    expect(() => loadSettings({ cwd: dir, overrides: { sparsity: '2:4', pruneSchedule: 'gradual' } })).toThrow(/one-shot only/);
  });
});
