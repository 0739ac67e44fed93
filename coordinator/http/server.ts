// The coordinator process: HTTP (status, metrics, the browser pages), socket.io (join + signaling), WebRTC
// data channels to peers, and the round loop. `startCoordinator(settings)` returns once it listens.
import http from 'node:http';
import { totalmem } from 'node:os';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Server as SocketServer } from 'socket.io';
import pino, { type Logger } from 'pino';
import type { CoordinatorSettings } from '../settings/settings.ts';
import type { Message } from '../../protocol/messages.ts';
import { PeerRegistry } from '../peers/registry.ts';
import { handleSocket } from '../peers/session.ts';
import { createWebRouter } from './web.ts';
import { SampleCache } from './sample-cache.ts';
import { createRun, MAX_REJECTIONS_IN_A_ROW, type Run } from '../run.ts';
import type { RoundDetail } from '../rounds/detail.ts';
import type { RoundRecord } from '../../protocol/status.ts';
import { Admission, defaultMaxPeers } from '../peers/admission.ts';
import { registerAdmissionMetrics } from '../journal/admission-metrics.ts';
import { coordinatorLimits, peerLimitsForConfig, sendQueueBounds } from '../../protocol/model-limits.ts';

export interface StartOptions {
  logger?: Logger;
  /** Observes every round (tests compare losses with a single process; the benchmark times rounds). */
  onRound?(record: RoundRecord, detail: RoundDetail): void;
  /** Serve https (and socket.io over wss) with this certificate (coordinator/http/tls.ts). */
  tls?: { cert: string; key: string };
}

export interface RunningCoordinator {
  url: string;
  port: number;
  run: Run;
  /** Writes a checkpoint now (SIGINT/SIGTERM handlers call this before close). */
  checkpoint(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Allowed socket.io message size: join and signaling only; model data goes over the data channel. */
const MAX_SOCKET_MESSAGE_BYTES = 256 * 1024;

export async function startCoordinator(settings: CoordinatorSettings, opts: StartOptions = {}): Promise<RunningCoordinator> {
  const logger = opts.logger ?? pino({ name: 'coordinator' });
  const registry = new PeerRegistry<Message>();
  const run = await createRun(settings, registry, logger, opts.onRound);
  const { maxPeers, ...limits } = settings.admission;
  const admission = new Admission({ ...limits, maxPeers: maxPeers || defaultMaxPeers(run.state.numParams, totalmem()) });
  registerAdmissionMetrics(run.metrics.registry, admission);
  const status = () => ({ ...run.status(), admission: admission.status() });
  const samples = new SampleCache({ generate: (prompt, maxBytes) => run.sample(prompt, maxBytes), currentRound: () => run.state.round });

  const app = express();
  app.disable('x-powered-by');
  app.get('/api/status', (_req, res) => {
    res.json(status());
  });
  app.get('/metrics', async (_req, res) => {
    res.type(run.metrics.registry.contentType).send(await run.metrics.registry.metrics());
  });
  // The browser pages, dashboard, sample text and admin actions (coordinator/http/web.ts).
  app.use(
    createWebRouter({
      getStatus: status,
      adminToken: settings.adminToken || undefined,
      admin: {
        pause: () => run.pause(),
        resume: () => run.resume(),
        checkpoint: () => run.checkpoint('admin'),
        consolidate: () => run.consolidate(),
      },
      sample: (prompt, maxBytes) => samples.get(prompt, maxBytes),
    }),
  );

  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, app) : http.createServer(app);
  // A peer deep in a training step (tfjs blocks its thread: seconds, on a slow phone maybe a minute) cannot
  // answer pings; socket.io's default 20 s pong timeout would drop it. The heartbeat sweeper and the round
  // deadline judge liveness instead; a closed socket or data channel is still noticed at once.
  // What one peer can make the coordinator hold is sized to the model (protocol/model-limits.ts).
  const receiveLimits = coordinatorLimits(run.state.numParams, run.welcome.codec);
  const io = new SocketServer(server, { maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES, serveClient: false, pingTimeout: 120_000 });
  io.on('connection', (socket) =>
    handleSocket(socket, {
      registry,
      loop: run.loop,
      logger,
      token: settings.token,
      iceServers: settings.iceServers,
      dataChannelTimeoutMs: settings.dataChannelTimeoutMs,
      welcome: run.welcome,
      maxRejectionsInARow: MAX_REJECTIONS_IN_A_ROW,
      admission,
      limits: receiveLimits,
      sendQueue: sendQueueBounds(peerLimitsForConfig(run.welcome.config).maxMessageBytes!),
      onRefused: (code) => run.metrics.peersDroppedTotal.inc({ code }),
    }),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  }).catch(async (e: unknown) => {
    // A busy port: the run dir is not ours to keep.
    await run.releaseRunDir();
    throw e;
  });
  const port = (server.address() as AddressInfo).port;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  const baseUrl = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url: baseUrl, runId: run.runId, maxPeers: admission.limits.maxPeers }, 'coordinator listening');
  run.start();

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    run,
    checkpoint: () => run.checkpoint('requested'),
    close() {
      closing ??= (async () => {
        await run.stop();
        for (const p of registry.all()) registry.remove(p.id);
        io.disconnectSockets(true);
        await new Promise<void>((resolve) => io.close(() => resolve()));
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await run.releaseRunDir();
      })();
      return closing;
    },
  };
}
