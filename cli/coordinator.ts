// `stlm coordinator`: starts the coordinator (HTTP + socket.io + WebRTC + round loop) and prints how to join.
// `npm start` runs it with the defaults: the embedded nlp-corpus, the small preset, port 8080.
import type { Command } from 'commander';
import { DEFAULT_PRESET, PRESET_NAMES } from '../model/config.ts';
import { createCliLog } from './log-output.ts';
import { bannerText, lanUrls, progressText, terminalQr } from './coordinator-banner.ts';
import { BUNDLE_MESSAGES, ensureBrowserBundle } from './browser-bundle.ts';

/** Info events a person at the terminal sees as a line (the rest, one per round, go to --log-file). */
const HUMAN_INFO = ['validation', 'checkpoint written', 'peer joined; connecting WebRTC', 'peer left', 'peer socket closed',
  'resumed from checkpoint', 'compressor reference on the validation set', 'stopping: writing a checkpoint', 'max rounds reached',
  ...BUNDLE_MESSAGES];

export function register(program: Command): void {
  program
    .command('coordinator')
    .description('run the coordinator: serves peers (browser tabs, `stlm peer`), aggregates their gradients, checkpoints')
    .option('--config <file>', 'JSON file with settings (flags override it)')
    .option('--port <n>', 'HTTP port; 0 picks a free one (default 8080)', toInt)
    .option('--host <addr>', 'address to listen on (default 0.0.0.0; use 127.0.0.1 for loopback only)')
    .option('--data <source>', 'training text: a file, a directory, a *.jsonl file (default: the nlp-corpus package)')
    .option('--preset <name>', `model preset: ${PRESET_NAMES.join(' | ')} (default ${DEFAULT_PRESET}; its recipe sets batch size and learning rates)`)
    .option('--run-dir <dir>', 'where checkpoints go (default runs/<run id>; with --resume: the newest run in runs/)')
    .option('--token <token>', 'join token peers must present (default: random, printed)')
    .option('--admin-token <token>', 'token for the dashboard\'s admin actions (default: random, printed)')
    .option('--resume', 'continue from the latest checkpoint in --run-dir (weights, optimizer, round, data cursor)')
    .option('--codec <name>', 'gradient codec peers use: fp32 | fp16 | int8 | topk (default int8, with error feedback)')
    .option('--aggregator <name>', 'aggregation rule: median | clipped-mean | mean | trimmed-mean (default median, chosen by bench:poison)')
    .option('--local-steps <h>', 'DiLoCo: H inner AdamW steps per peer per round, outer Nesterov step (default 1 = sync)', toInt)
    .option('--batch-size <n>', 'examples per peer per (inner) step', toInt)
    .option('--min-peers <n>', 'rounds wait until this many peers hold the current model (default 1)', toInt)
    .option('--max-rounds <n>', 'stop after this many rounds (default 0 = never)', toInt)
    .option('--checkpoint-every <n>', 'write a checkpoint every N rounds (and on SIGINT/SIGTERM)', toInt)
    .option('--keep-checkpoints <n>', 'how many checkpoints to keep', toInt)
    .option('--eval-every <n>', 'validation bits per byte every N rounds (0: never)', toInt)
    .option('--lr <x>', 'peak learning rate (sync mode AdamW; inner AdamW in local-steps mode)', toFloat)
    .option('--outer-lr <x>', 'outer Nesterov learning rate in local-steps mode (DiLoCo: 0.7)', toFloat)
    .option('--outer-momentum <x>', 'outer Nesterov momentum in local-steps mode (DiLoCo: 0.9)', toFloat)
    .option('--ice-server <url>', 'STUN/TURN URL handed to peers (repeatable; turn:user:pass@host:port)', collect, [])
    .option('--ice <url>', 'same as --ice-server', collect, [])
    .option('--data-channel-timeout <ms>', 'refuse a peer whose WebRTC data channel is not open after this long', toInt)
    .option('--no-relay', 'refuse peers whose WebRTC cannot connect instead of relaying their frames over the socket')
    .option('--min-deadline <ms>', 'a round waits at least this long for a peer before requeuing its batch (default 2000)', toInt)
    .option('--max-peers <n>', 'peers served at once (default 0: sized to the model and this machine: a quarter of its memory for per-peer buffers, at most 64)', toInt)
    .option('--max-peers-per-address <n>', 'peers at once from one IP address (default 8)', toInt)
    .option('--misbehaviour-backoff <ms>', 'a peer dropped for misbehaviour waits this long before its token may rejoin from its address, doubling per drop (default 30000; 0: no wait)', toInt)
    .option('--heartbeat-timeout <ms>', 'drop a peer silent for this long (its batch is requeued)', toInt)
    .option('--sparsity <s>', 'consolidation: fraction of each prunable matrix pruned, or 2:4 (default 0.5)', toSparsity)
    .option('--quant <q>', 'consolidation: int8 | fp32 (default int8, per output channel)')
    .option('--prune-scope <scope>', 'consolidation: per-tensor | global magnitude ranking (default per-tensor)')
    .option('--prune-schedule <s>', 'oneshot (default: training never sees a mask) | gradual[:N] (sparsity rises over N checkpoints, masks kept on the live weights; N default 4)')
    .option('--prune-embedding', 'consolidation: also prune the tied byte embedding')
    .option('--no-consolidate', 'do not consolidate each periodic checkpoint (the admin action still can)')
    .option('--eval-tasks <files...>', 'score these multiple-choice task files (ARC, WinoGrande, HellaSwag, BLiMP JSONL) at each checkpoint, dense and consolidated')
    .option('--seed <n>', 'seed for the model init and the data order', toInt)
    .option('--https', 'serve https and wss with a self-signed certificate made at first start and kept in the run dir (devices other than this machine get a secure context: WebGPU, wasm threads)')
    .option('--cert <file>', 'with --https: this PEM certificate instead of a self-signed one')
    .option('--key <file>', 'with --https: the PEM private key of --cert')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--log-json', 'pino JSON lines on stdout even at a terminal')
    .option('--log-file <file>', 'append pino JSON lines to this file')
    .action(async (opts: CoordinatorCliOptions) => {
      const [{ loadSettings }, { startCoordinator }, tlsModule] = await Promise.all([
        import('../coordinator/settings/settings.ts'),
        import('../coordinator/http/server.ts'),
        import('../coordinator/http/tls.ts'),
      ]);
      const log = createCliLog({ name: 'coordinator', level: opts.logLevel, json: opts.logJson, logFile: opts.logFile, humanInfo: HUMAN_INFO });
      const logger = log.logger;
      let coordinator: Awaited<ReturnType<typeof startCoordinator>>;
      let settings: ReturnType<typeof loadSettings>;
      let certificate: Awaited<ReturnType<typeof tlsModule.runDirCertificate>> | undefined;
      try {
        settings = loadSettings({ configFile: opts.config, overrides: cliOverrides(opts) });
        void ensureBrowserBundle(logger);
        certificate = await coordinatorCertificate(opts, settings.runDir, tlsModule);
        coordinator = await startCoordinator(settings, { logger, tls: certificate });
      } catch (e) {
        // Bad settings, a busy port, a missing corpus or checkpoint: one clear line, no stack trace.
        process.stderr.write(`stlm coordinator: ${(e as Error).message}\n`);
        process.exit(2);
      }
      // Machine-readable first (tests read it), then the human instructions.
      process.stdout.write(`STLM_COORDINATOR_URL=${coordinator.url}\n`);
      if (certificate) process.stdout.write(`STLM_CERT_FINGERPRINT=${certificate.fingerprint}\n`);
      const facts = {
        // The run's own preset: a resumed run takes it from its checkpoint, not from the flags.
        url: coordinator.url, runId: coordinator.run.runId, preset: coordinator.run.status().preset, numParams: coordinator.run.state.numParams,
        token: settings.token, adminToken: settings.adminToken, runDir: settings.runDir, host: settings.host, port: coordinator.port,
        fingerprint: certificate?.fingerprint, certSource: certificate?.source,
      };
      process.stdout.write(bannerText(facts));
      if (log.human) {
        const joinUrl = `${lanUrls(facts)[0] ?? coordinator.url}/?token=${encodeURIComponent(settings.token)}`;
        process.stdout.write(`  scan to join from a phone (${joinUrl}):\n${await terminalQr(joinUrl)}\n`);
        const draw = setInterval(() => log.progress(progressText(coordinator.run.status())), 1000);
        draw.unref();
      }
      let stopping = false;
      const shutdown = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping: writing a checkpoint');
        try {
          await coordinator.run.stop();
          await coordinator.checkpoint();
        } catch (e) {
          logger.error({ err: e }, 'checkpoint on shutdown failed');
        }
        await coordinator.close();
        log.finish();
        process.exit(0);
      };
      process.once('SIGINT', () => void shutdown('SIGINT'));
      process.once('SIGTERM', () => void shutdown('SIGTERM'));
      await coordinator.run.finished;
      if (!stopping) {
        logger.info({ round: coordinator.run.state.round }, 'max rounds reached');
        await shutdown('max-rounds');
      }
    });
}

interface CoordinatorCliOptions {
  config?: string;
  port?: number;
  host?: string;
  data?: string;
  preset?: string;
  runDir?: string;
  token?: string;
  adminToken?: string;
  resume?: boolean;
  codec?: string;
  aggregator?: string;
  localSteps?: number;
  batchSize?: number;
  minPeers?: number;
  maxRounds?: number;
  checkpointEvery?: number;
  keepCheckpoints?: number;
  evalEvery?: number;
  lr?: number;
  outerLr?: number;
  outerMomentum?: number;
  iceServer: string[];
  ice: string[];
  dataChannelTimeout?: number;
  heartbeatTimeout?: number;
  maxPeers?: number;
  maxPeersPerAddress?: number;
  misbehaviourBackoff?: number;
  minDeadline?: number;
  seed?: number;
  sparsity?: number | '2:4';
  quant?: string;
  pruneScope?: string;
  pruneSchedule?: string;
  pruneEmbedding?: boolean;
  evalTasks?: string[];
  /** commander's --no-consolidate: false when given, true otherwise. */
  consolidate: boolean;
  /** commander's --no-relay: false when given, true otherwise. */
  relay: boolean;
  logLevel: string;
  logJson?: boolean;
  logFile?: string;
  https?: boolean;
  cert?: string;
  key?: string;
}

type TlsModule = typeof import('../coordinator/http/tls.ts');

/** --https: the given certificate, or the run dir's self-signed one; nothing without --https. */
async function coordinatorCertificate(o: CoordinatorCliOptions, runDir: string, tls: TlsModule) {
  if ((o.cert || o.key) && !(o.cert && o.key)) throw new Error('--cert and --key go together');
  if (!o.https) {
    if (o.cert) throw new Error('--cert/--key need --https');
    return undefined;
  }
  return o.cert && o.key ? tls.loadCertificate(o.cert, o.key) : tls.runDirCertificate(runDir);
}

/** Only the flags actually given override the config file and the defaults. */
function cliOverrides(o: CoordinatorCliOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const direct = [
    'port', 'host', 'data', 'preset', 'runDir', 'token', 'adminToken', 'resume', 'codec', 'aggregator', 'localSteps', 'batchSize',
    'minPeers', 'maxRounds', 'checkpointEvery', 'keepCheckpoints', 'evalEvery', 'seed', 'sparsity', 'quant', 'pruneScope',
    'pruneSchedule', 'pruneEmbedding', 'evalTasks', 'maxPeers', 'maxPeersPerAddress',
  ] as const;
  for (const k of direct) if (o[k] !== undefined) out[k] = o[k];
  const ice = [...o.iceServer, ...o.ice];
  if (ice.length > 0) out.iceServers = ice.map(parseIceServer);
  if (o.dataChannelTimeout !== undefined) out.dataChannelTimeoutMs = o.dataChannelTimeout;
  if (o.heartbeatTimeout !== undefined) out.heartbeatTimeoutMs = o.heartbeatTimeout;
  if (o.misbehaviourBackoff !== undefined) out.misbehaviourBackoffMs = o.misbehaviourBackoff;
  if (o.minDeadline !== undefined) out.deadline = { minMs: o.minDeadline };
  if (o.lr !== undefined) out.lr = o.lr;
  if (o.outerLr !== undefined) out.outerLr = o.outerLr;
  if (o.outerMomentum !== undefined) out.outerMomentum = o.outerMomentum;
  if (o.consolidate === false) out.consolidate = false;
  if (o.relay === false) out.relay = false;
  return out;
}

/** `turn:user:pass@host:3478` → { urls: 'turn:host:3478', username, credential }. */
function parseIceServer(s: string): RTCIceServer {
  const m = /^(stun|turns?):(?:([^:@]+):([^@]+)@)?(.+)$/.exec(s);
  if (!m) throw new Error(`--ice-server: expected stun:host:port or turn:user:pass@host:port, got "${s}"`);
  return m[2] ? { urls: `${m[1]}:${m[4]}`, username: m[2], credential: m[3] } : { urls: s };
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function toInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${v}"`);
  return n;
}

function toSparsity(v: string): number | '2:4' {
  return v === '2:4' ? v : toFloat(v);
}

function toFloat(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`expected a number, got "${v}"`);
  return n;
}
