// Peers that misbehave on purpose, built on the project's own client (peer/core/connect.ts, protocol/), for
// the coordinator's resource test: a trickler of partial messages, a peer that never reads its data channel
// and a sender of huge stale results.
import { spawn } from 'node:child_process';
import path from 'node:path';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import { io as ioClient } from 'socket.io-client';
import { connectToCoordinator, type CoordinatorConnection, type IoLike } from '../../peer/core/connect.ts';
import { buildFrame, frameCount } from '../../protocol/framing.ts';
import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type Message } from '../../protocol/messages.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Misbehaver {
  /** Resolves with the reason this client's session ended (the coordinator's error code first, if it sent one). */
  closed: Promise<string>;
  /** Stops whatever timers and processes the client runs. */
  stop(): void;
}

export function connect(url: string, token: string, backend: string): Promise<CoordinatorConnection> {
  return connectToCoordinator({
    url, token, peerKind: 'node', backend, io: ioClient as unknown as IoLike, SimplePeer, wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
  });
}

/**
 * Starts two partial messages of `messageBytes` each (the largest the coordinator accepts) and sends one more
 * frame of each every `everyMs`, heart-beating meanwhile: the coordinator must drop their reassembly at a
 * deadline counted from the first frame (and with it this peer), not keep it while frames trickle in.
 */
export async function startTrickler(url: string, token: string, messageBytes: number, everyMs: number): Promise<Misbehaver> {
  const conn = await connect(url, token, 'trickle');
  const message = new Uint8Array(messageBytes).map((_, i) => (i * 131) & 0xff);
  const ids = [0x7ff00001, 0x7ff00002];
  let index = 0;
  const trickle = () => {
    if (index >= frameCount(messageBytes) - 1) return; // never complete them
    for (const id of ids) conn.channel.send(buildFrame(message, id, index));
    index++;
  };
  trickle();
  const frames = setInterval(trickle, everyMs);
  const beats = setInterval(() => void conn.transport.send({ type: 'heartbeat', sentAt: Date.now() }), 1_000);
  const stop = () => {
    clearInterval(frames);
    clearInterval(beats);
    conn.close();
  };
  void conn.closed.then(stop);
  return { closed: conn.closed, stop };
}

/**
 * A peer whose data channel opens and then takes nothing (its WebRTC process is stopped) while it keeps
 * heart-beating over socket.io: every model state sent to it stays with the coordinator.
 */
export async function startNonReader(url: string, token: string): Promise<Misbehaver & { opened: Promise<void>; closedAt(): number | undefined }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'test/cluster/stalled-channel-child.ts')], {
    cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const socket = ioClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const emit = (m: Message) => socket.emit('msg', encodeMessage(m));
  let settle: (reason: string) => void = () => {};
  let closedAt: number | undefined;
  const closed = new Promise<string>((r) => (settle = r));
  void closed.then(() => (closedAt = Date.now()));
  let opened: () => void = () => {};
  let beats: ReturnType<typeof setInterval> | undefined;
  const openedP = new Promise<void>((r) => (opened = r));
  socket.on('connect', () => emit({ type: 'join', protocolVersion: PROTOCOL_VERSION, token, kind: 'node', backend: 'non-reader' }));
  socket.on('msg', (data: Uint8Array) => {
    const d = decodeMessage(new Uint8Array(data));
    if (!d.ok) return;
    const m = d.message;
    if (m.type === 'welcome') {
      child.send({ iceServers: m.iceServers });
      beats ??= setInterval(() => emit({ type: 'heartbeat', sentAt: Date.now() }), 1_000);
    }
    if (m.type === 'signal') child.send({ signal: m.data });
    if (m.type === 'error') settle(`${m.code}: ${m.message}`);
  });
  socket.on('disconnect', (reason) => settle(`socket closed: ${reason}`));
  child.on('message', (m: { signal?: object; open?: boolean }) => {
    if (m.signal) emit({ type: 'signal', data: m.signal });
    if (m.open) {
      child.kill('SIGSTOP');
      opened();
    }
  });
  const stop = () => {
    clearInterval(beats);
    socket.disconnect();
    child.kill('SIGKILL');
  };
  void closed.then(() => clearInterval(beats));
  return { closed, stop, opened: openedP, closedAt: () => closedAt };
}

/**
 * Sends results for round 0 (long gone) with a gradient of `payloadBytes`, again and again, reconnecting
 * whenever the coordinator drops it. In a process of its own (test/cluster/stale-sender-child.ts): a native
 * WebRTC fault under this churn must not take the test runner down with it.
 */
export function startStaleSender(url: string, token: string, payloadBytes: number): Misbehaver & { sessions(): string[] } {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'bin/run-ts.mjs'), path.join(ROOT, 'test/cluster/stale-sender-child.ts'), url, token, String(payloadBytes)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<string>((r) => child.once('exit', (code, signal) => r(`exited: ${code ?? signal}`)));
  return {
    closed: exited,
    stop: () => child.kill('SIGKILL'),
    sessions: () => [...out.matchAll(/^SESSION (.*)$/gm)].map((m) => m[1]!),
  };
}
