// `stlm peer --url URL --token TOKEN`: joins a coordinator as a Node peer and trains until stopped.
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { formatStatsLine } from '../peer/core/peer-stats.ts';
import { TRANSPORT_CHOICES, type TransportChoice } from '../peer/core/connect.ts';
import { createCliLog } from './log-output.ts';
import { bitsPerByteFromNats } from '../common/units.ts';

/** Info events a person at the terminal sees as a line. */
const HUMAN_INFO = ['connected to the coordinator', 'peer stopped'];

export function register(program: Command): void {
  program
    .command('peer')
    .description('join a coordinator as a Node training peer (WebRTC data channel, tfjs wasm)')
    .requiredOption('--url <url>', 'coordinator URL, e.g. http://127.0.0.1:8080')
    .option('--token <token>', 'join token printed by the coordinator (or env STLM_TOKEN)', process.env.STLM_TOKEN ?? '')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .option('--threads <n>', 'worker threads to train on, each with its own tfjs-wasm and model replica', toPositiveInt, availableParallelism())
    .option('--transport <kind>', 'auto (WebRTC, then the coordinator\'s socket relay if no data channel opens) | webrtc | relay', toTransport, 'auto')
    .option('--max-attempts <n>', 'give up after this many failed joins in a row (default: retry forever)', toInt)
    .option('--max-model-mb <n>', 'memory this peer gives the model; a larger one is refused (default: half of this machine\'s, at most 4096)', toPositiveInt)
    .option('--protocol-version <n>', 'protocol version to announce (testing the coordinator only)', toInt)
    .option('--no-progress', 'no live progress line, even on a terminal')
    .option('--fingerprint <sha256>', 'https coordinator: trust only the certificate with this SHA-256 fingerprint (the coordinator prints it)')
    .option('--ca <file>', 'https coordinator: trust certificates signed by this PEM CA (or this certificate itself)')
    .option('--log-level <level>', 'pino log level: fatal | error | warn | info | debug', 'info')
    .option('--log-json', 'pino JSON lines on stdout even at a terminal')
    .option('--log-file <file>', 'append pino JSON lines to this file')
    .action(async (opts: PeerCliOptions) => {
      const { startNodePeer } = await import('../peer/node/node-peer.ts');
      const log = createCliLog({ name: 'peer', level: opts.logLevel, json: opts.logJson, logFile: opts.logFile, humanInfo: HUMAN_INFO });
      const logger = log.logger;
      const tty = opts.progress && log.human;
      let lastLog = 0;
      let lastDraw = 0;
      const handle = startNodePeer({
        url: opts.url,
        token: opts.token,
        backend: opts.backend as 'wasm' | 'cpu',
        threads: opts.threads,
        logger,
        maxAttempts: opts.maxAttempts,
        maxModelBytes: opts.maxModelMb === undefined ? undefined : opts.maxModelMb * 1024 * 1024,
        protocolVersion: opts.protocolVersion,
        transport: opts.transport,
        tls: { fingerprint: opts.fingerprint, caFile: opts.ca },
        onStats: (s) => {
          if (tty) {
            // At most ten redraws a second: the tiny preset finishes rounds in milliseconds.
            if (Date.now() - lastDraw < 100 && s.state !== 'closed') return;
            lastDraw = Date.now();
            log.progress(formatStatsLine(s));
          } else if (s.state === 'ready' && Date.now() - lastLog > 5_000) {
            // Without a terminal, a log line every few seconds instead of a redrawn line.
            lastLog = Date.now();
            logger.info({ round: s.round, loss: s.loss, bpb: bitsPerByteFromNats(s.loss), bytesPerSec: Math.round(s.bytesPerSec), version: s.modelVersion }, 'progress');
          }
        },
      });
      const shutdown = () => {
        handle.stop();
        // wrtc's native threads can keep the process alive after the channel closes.
        setTimeout(() => process.exit(0), 500).unref();
      };
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
      const end = await handle.done;
      logger.info({ reason: end.reason }, 'peer stopped');
      log.finish();
      process.exit(end.fatalCode ? 2 : 0);
    });
}

interface PeerCliOptions {
  url: string;
  token: string;
  backend: string;
  threads: number;
  maxAttempts?: number;
  maxModelMb?: number;
  protocolVersion?: number;
  transport: TransportChoice;
  progress: boolean;
  logLevel: string;
  logJson?: boolean;
  logFile?: string;
  fingerprint?: string;
  ca?: string;
}

function toInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`expected an integer, got "${v}"`);
  return n;
}

function toPositiveInt(v: string): number {
  const n = toInt(v);
  if (n < 1) throw new Error(`expected a positive integer, got "${v}"`);
  return n;
}

function toTransport(v: string): TransportChoice {
  const t = TRANSPORT_CHOICES.find((c) => c === v);
  if (!t) throw new Error(`expected one of ${TRANSPORT_CHOICES.join(' | ')}, got "${v}"`);
  return t;
}
