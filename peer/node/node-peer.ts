// The Node peer: socket.io-client + simple-peer + @roamhq/wrtc around peer/core, with reconnection and
// exponential backoff, so a peer outlives coordinator restarts (`kill -9` then `--resume`).
import { io } from 'socket.io-client';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import type { Logger } from 'pino';
import { connectToCoordinator, ConnectError, type IoLike } from '../core/connect.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
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
  /** Stop after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
  /** Overrides the protocol version sent in join (tests only). */
  protocolVersion?: number;
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
  fatalCode?: FatalCode | 'ERR_TLS';
}

/** Refusals that retrying cannot fix: the user must change the command. */
const FATAL_CODES = ['ERR_TOKEN', 'ERR_PROTOCOL_VERSION'] as const satisfies readonly ErrorCode[];
type FatalCode = (typeof FATAL_CODES)[number];

function isFatal(code: ErrorCode): code is FatalCode {
  return (FATAL_CODES as readonly ErrorCode[]).includes(code);
}

export function startNodePeer(opts: NodePeerOptions): NodePeerHandle {
  const log = opts.logger;
  const minBackoff = opts.minBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 15_000;
  let stopped = false;
  let current: { close(): void } | undefined;
  let wake: (() => void) | undefined;

  const done = (async (): Promise<NodePeerEnd> => {
    const threads = opts.threads ?? 1;
    // With worker threads each worker sets up its own backend; the main thread only sums gradients.
    const backendName = threads > 1 ? (opts.backend ?? 'wasm') : await setupBackend(opts.backend ?? 'wasm');
    let failures = 0;
    let lastReason = 'stopped';
    while (!stopped) {
      try {
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
        });
        failures = 0;
        current = conn;
        log.info({ peerId: conn.welcome.peerId, runId: conn.welcome.runId }, 'connected to the coordinator');
        const trainer = runPeer({
          transport: conn.transport,
          welcome: conn.welcome,
          backendName,
          createModel: (config, seed) => createPeerModel(config, seed, opts, threads),
          onStats: opts.onStats,
          onClosed: () => conn.close(),
        });
        lastReason = await conn.closed;
        trainer.stop(lastReason);
        current = undefined;
        log.warn({ reason: lastReason }, 'disconnected from the coordinator');
      } catch (e) {
        if (e instanceof TlsTrustError) {
          log.error({ code: 'ERR_TLS' }, e.message);
          stopped = true;
          return { reason: `ERR_TLS: ${e.message}`, fatalCode: 'ERR_TLS' };
        }
        const code = e instanceof ConnectError ? e.code : undefined;
        const message = e instanceof Error ? e.message : String(e);
        lastReason = `${code ?? 'ERR'}: ${message}`;
        if (code && isFatal(code)) {
          log.error({ code }, message);
          stopped = true;
          return { reason: lastReason, fatalCode: code };
        }
        failures += 1;
        if (opts.maxAttempts !== undefined && failures >= opts.maxAttempts) return { reason: lastReason };
        log.warn({ code, attempt: failures }, `cannot join: ${message}`);
      }
      if (stopped) break;
      // Exponential backoff with jitter, so a restarted coordinator is not hit by every peer at once.
      const delay = Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures, 10)) * (0.5 + Math.random() / 2);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, delay);
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
