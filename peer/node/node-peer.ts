// The Node peer: socket.io-client + simple-peer + @roamhq/wrtc around peer/core, with reconnection and
// exponential backoff (peer/core/reconnect.ts), so a peer outlives coordinator restarts (`kill -9` then
// `--resume`) and a peer the coordinator keeps refusing or kicking waits longer and longer.
import { totalmem } from 'node:os';
import { io } from 'socket.io-client';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import type { Logger } from 'pino';
import { connectToCoordinator, ConnectError, type IoLike, type TransportChoice } from '../core/connect.ts';
import { DEFAULT_RECONNECT, ReconnectBackoff, type AttemptOutcome, type PermanentRefusal } from '../core/reconnect.ts';
import { modelBudgetBytes } from '../core/model-budget.ts';
import { runPeer, type PeerModel } from '../core/peer-trainer.ts';
import type { StlmConfig } from '../../model/config.ts';
import type { PeerStats } from '../core/peer-stats.ts';
import { stlmPeerModel } from '../core/stlm-peer-model.ts';
import { setupBackend, type BackendName } from '../../model/backend.ts';
import { ThreadedModel } from '../core/threaded-model.ts';
import type { SpawnTrainWorker } from '../core/train-worker-protocol.ts';
import { spawnNodeTrainWorker } from './node-train-worker.ts';
import { probeCoordinatorTls, TlsTrustError, type TlsTrustOptions } from './tls-trust.ts';

export interface NodePeerOptions {
  url: string;
  token: string;
  backend?: BackendName;
  /** Worker threads to train on (default 1: the model trains on the main thread). */
  threads?: number;
  /** Starts one training worker (default: a worker thread running train-worker.ts); tests keep a handle. */
  spawnTrainWorker?: SpawnTrainWorker;
  logger: Logger;
  onStats?(s: PeerStats): void;
  /** Backoff bounds between reconnection attempts. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A session that lasted this long resets the backoff (default 60 s). */
  stableMs?: number;
  /** Memory this peer gives the model (default: half of this machine's, at most a wasm heap). */
  maxModelBytes?: number;
  /** Stop after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
  /** Overrides the protocol version sent in join (tests only). */
  protocolVersion?: number;
  /** WebRTC, the coordinator's socket relay, or WebRTC with the relay as fallback (default). */
  transport?: TransportChoice;
  /** How to trust an https coordinator's certificate (a pinned fingerprint or a CA file). */
  tls?: TlsTrustOptions;
}

export interface NodePeerHandle {
  /** Leaves the coordinator and stops reconnecting. */
  stop(): void;
  /** Resolves when the peer has stopped for good. */
  done: Promise<NodePeerEnd>;
}

export interface NodePeerEnd {
  /** The last reason the session ended or a join failed. */
  reason: string;
  /** Set when a refusal that retrying cannot fix stopped the peer (the CLI exits with 2); ERR_TLS: the
   *  coordinator's certificate is not the trusted one. */
  fatalCode?: PermanentRefusal | 'ERR_TLS';
}

export function startNodePeer(opts: NodePeerOptions): NodePeerHandle {
  const log = opts.logger;
  const backoff = new ReconnectBackoff({
    minMs: opts.minBackoffMs ?? DEFAULT_RECONNECT.minMs,
    maxMs: opts.maxBackoffMs ?? DEFAULT_RECONNECT.maxMs,
    stableMs: opts.stableMs ?? DEFAULT_RECONNECT.stableMs,
  });
  let stopped = false;
  let current: { close(): void } | undefined;
  let wake: (() => void) | undefined;

  const done = (async (): Promise<NodePeerEnd> => {
    const threads = opts.threads ?? 1;
    // With worker threads each worker sets up its own backend; the main thread only sums gradients.
    const backendName = threads > 1 ? (opts.backend ?? 'wasm') : await setupBackend(opts.backend ?? 'wasm');
    let failuresInARow = 0;
    let lastReason = 'stopped';
    while (!stopped) {
      const outcome = await attempt(opts, backendName, threads, (conn) => (current = conn));
      lastReason = outcome.reason;
      if (outcome.untrustedTls) {
        log.error({ code: 'ERR_TLS' }, outcome.reason);
        return { reason: lastReason, fatalCode: 'ERR_TLS' };
      }
      if (stopped) break;
      const next = backoff.next(outcome);
      if (next.stop) {
        log.error({ code: next.code }, `${outcome.reason}: retrying cannot help, stopping`);
        return { reason: lastReason, fatalCode: next.code };
      }
      failuresInARow = outcome.connectedMs === undefined ? failuresInARow + 1 : 0;
      if (opts.maxAttempts !== undefined && failuresInARow >= opts.maxAttempts) return { reason: lastReason };
      log.warn({ code: outcome.code, attempt: next.failures, retryInMs: next.delayMs }, `${outcome.reason}; retrying in ${Math.round(next.delayMs / 1000)} s`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, next.delayMs);
      });
    }
    return { reason: lastReason };
  })();

  return {
    done,
    stop() {
      stopped = true;
      current?.close();
      wake?.();
    },
  };
}

/** One join and, if it gets through, one session until it closes; `setCurrent` holds the open connection. */
async function attempt(
  opts: NodePeerOptions,
  backendName: string,
  threads: number,
  setCurrent: (conn: { close(): void } | undefined) => void,
): Promise<AttemptOutcome & { reason: string; untrustedTls?: boolean }> {
  try {
    // Over https, the coordinator's certificate is checked first (pinned fingerprint or CA file).
    const socketOptions = await probeCoordinatorTls(opts.url, opts.tls ?? {});
    const conn = await connectToCoordinator({
      socketOptions,
      url: opts.url,
      token: opts.token,
      peerKind: 'node',
      backend: backendName,
      threads,
      io: io as unknown as IoLike,
      SimplePeer,
      wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
      protocolVersion: opts.protocolVersion,
      maxModelBytes: opts.maxModelBytes ?? modelBudgetBytes(totalmem()),
      transport: opts.transport,
    });
    const connectedAt = Date.now();
    setCurrent(conn);
    opts.logger.info({ peerId: conn.welcome.peerId, runId: conn.welcome.runId, transport: conn.transportKind }, 'connected to the coordinator');
    const trainer = runPeer({
      transport: conn.transport,
      welcome: conn.welcome,
      backendName,
      transportKind: conn.transportKind,
      createModel: (config, seed) => createPeerModel(config, seed, opts, threads),
      onStats: opts.onStats,
      onClosed: () => conn.close(),
    });
    const reason = await conn.closed;
    trainer.stop(reason);
    setCurrent(undefined);
    opts.logger.warn({ reason }, 'disconnected from the coordinator');
    const by = conn.endedBy;
    return { reason, connectedMs: Date.now() - connectedAt, code: by?.code, retryAfterMs: by?.retryAfterMs };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof TlsTrustError) return { reason: `ERR_TLS: ${message}`, untrustedTls: true };
    const err = e instanceof ConnectError ? e : undefined;
    return { reason: `${err?.code ?? 'ERR'}: ${message}`, code: err?.code, retryAfterMs: err?.retryAfterMs };
  }
}

/** The model a Node peer trains: on the main thread, or on `threads` worker threads. */
function createPeerModel(config: StlmConfig, seed: number, opts: NodePeerOptions, threads: number): PeerModel | Promise<PeerModel> {
  if (threads <= 1) return stlmPeerModel(config, seed);
  return ThreadedModel.create(config, seed, {
    threads,
    spawn: opts.spawnTrainWorker ?? spawnNodeTrainWorker,
    backend: opts.backend,
    onWorkerLost: (index, reason, left) =>
      opts.logger.error({ worker: index, threadsLeft: left }, `training worker ${index} died (${reason}); training goes on with ${left}`),
  });
}
