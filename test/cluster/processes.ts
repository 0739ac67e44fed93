// Real processes for end-to-end tests: a coordinator on port 0 (its URL read from stdout), Node peers,
// polling of /api/status, and cleanup that kills whatever is still running.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { CoordinatorStatus } from '../../protocol/status.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const STLM = path.join(ROOT, 'bin/stlm.mjs');

export interface Proc {
  child: ChildProcess;
  /** Everything written so far to stdout + stderr (for assertions and failure messages). */
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

const running = new Set<Proc>();

/** `prefix`: a command that runs stlm inside it (e.g. `unshare -m ...`, which ends by exec-ing its arguments). */
export function spawnStlm(args: string[], prefix: string[] = []): Proc {
  const [command, ...rest] = [...prefix, process.execPath, STLM, ...args];
  const child = spawn(command!, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const proc: Proc = {
    child,
    output: () => out,
    exited,
    kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

/** Kills every process started by this module that is still running (afterAll). */
export async function killAll(): Promise<void> {
  const all = [...running];
  for (const p of all) p.kill('SIGKILL');
  await Promise.all(all.map((p) => p.exited));
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, proc?: Proc): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    // A process that is restarting refuses connections for a moment: that is "not yet", not a failure.
    const v = await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() - t0 > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `\n--- output ---\n${proc.output().slice(-4000)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface CoordinatorProc extends Proc {
  url: string;
  token: string;
  status(): Promise<CoordinatorStatus>;
}

/**
 * Starts `stlm coordinator --port 0 ...` and resolves once it printed its URL. With `token` null no --token is
 * passed: the coordinator draws one (or, resumed, reads its run's) and the one it printed is used.
 */
export async function startCoordinatorProcess(args: string[], token: string | null = 'test-token', prefix: string[] = []): Promise<CoordinatorProc> {
  const p = spawnStlm(['coordinator', '--port', '0', '--host', '127.0.0.1', ...(token === null ? [] : ['--token', token]), ...args], prefix);
  const url = await waitFor('the coordinator URL', () => /STLM_COORDINATOR_URL=(\S+)/.exec(p.output())?.[1], 60_000, p);
  const used = token ?? (await waitFor('the printed join token', () => /peer --url \S+ --token (\S+)/.exec(p.output())?.[1], 10_000, p));
  return {
    ...p,
    url,
    token: used,
    status: async () => (await (await fetch(`${url}/api/status`)).json()) as CoordinatorStatus,
  };
}

export function startPeerProcess(url: string, token: string, extra: string[] = []): Proc {
  // One thread unless a test asks for more (the flag's default is every core; a later --threads wins).
  return spawnStlm(['peer', '--url', url, '--token', token, '--no-progress', '--threads', '1', ...extra]);
}

/** A TCP port free on 127.0.0.1 right now (for a coordinator restarted on the same address). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
