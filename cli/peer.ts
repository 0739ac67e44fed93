// `stlm peer --url URL --token TOKEN`: joins a coordinator as a Node peer and trains until stopped.
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import pino from 'pino';
import { formatStatsLine } from '../peer/core/peer-stats.ts';
import { TRANSPORT_CHOICES, type TransportChoice } from '../peer/core/connect.ts';

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
    .option('--log-level <level>', 'pino log level: fatal | error | warn | info | debug', 'info')
    .action(async (opts: PeerCliOptions) => {
      const { startNodePeer } = await import('../peer/node/node-peer.ts');
      const logger = pino({ name: 'peer', level: opts.logLevel }, pino.destination(2));
      const tty = opts.progress && process.stderr.isTTY;
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
        onStats: (s) => {
          if (tty) {
            // At most ten redraws a second: the tiny preset finishes rounds in milliseconds.
            if (Date.now() - lastDraw < 100 && s.state !== 'closed') return;
            lastDraw = Date.now();
            process.stderr.write(`\r\x1b[2K${formatStatsLine(s)}`);
          } else if (s.state === 'ready' && Date.now() - lastLog > 5_000) {
            // Without a terminal, a log line every few seconds instead of a redrawn line.
            lastLog = Date.now();
            logger.info({ round: s.round, loss: s.loss, bytesPerSec: Math.round(s.bytesPerSec), version: s.modelVersion }, 'progress');
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
      if (tty) process.stderr.write('\n');
      logger.info({ reason: end.reason }, 'peer stopped');
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
