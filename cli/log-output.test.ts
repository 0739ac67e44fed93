import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCliLog, formatHumanLine } from './log-output.ts';

function terminal() {
  const written: string[] = [];
  return { isTTY: true, write: (s: string) => written.push(s), text: () => written.join('') };
}

describe('log output', () => {
  it('at a terminal: warnings and chosen events as human lines above the progress line, JSON to the log file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'stlm-log-'));
    const tty = terminal();
    const logFile = path.join(dir, 'run.log');
    const log = createCliLog({ name: 'coordinator', level: 'info', logFile, humanInfo: ['validation'], out: tty });
    expect(log.human).toBe(true);
    log.progress('round 3 · 2 peers');
    log.logger.info({ round: 3, loss: 2.5 }, 'round'); // per round: file only
    log.logger.info({ round: 3, bpb: 3.1234 }, 'validation');
    log.logger.warn({ code: 'ERR_CONNECT' }, 'cannot join');
    log.finish();
    await new Promise((r) => setTimeout(r, 100));
    const text = tty.text();
    expect(text).not.toMatch(/"msg"/);
    expect(text).not.toMatch(/ round {2}\(/);
    expect(text).toMatch(/\d\d:\d\d:\d\d info  validation {2}\(round=3 bpb=3\.123\)\n/);
    expect(text).toMatch(/warn  cannot join {2}\(code=ERR_CONNECT\)\nround 3 · 2 peers/);
    const json = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    expect(json.map((r) => r.msg)).toEqual(['round', 'validation', 'cannot join']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a terminal, or with --log-json, it is JSON on stdout and no progress line', () => {
    const pipe = { isTTY: false, write: () => { throw new Error('the progress line must not be drawn'); } };
    const log = createCliLog({ name: 'peer', level: 'info', out: pipe });
    expect(log.human).toBe(false);
    log.progress('round 1');
    expect(createCliLog({ name: 'peer', level: 'info', json: true, out: terminal() }).human).toBe(false);
  });

  it('formats a line a person reads, and passes text that is not JSON through', () => {
    const line = formatHumanLine(JSON.stringify({ level: 50, time: 0, msg: 'round loop failed', err: { message: 'x' } }), new Set());
    expect(line).toMatch(/error round loop failed {2}\(err=\{"message":"x"\}\)$/);
    expect(formatHumanLine('plain text', new Set())).toBe('plain text');
    expect(formatHumanLine(JSON.stringify({ level: 30, msg: 'round' }), new Set())).toBeUndefined();
  });
});
