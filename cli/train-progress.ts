// What `stlm train` shows while it runs: on a terminal a progress bar with ETA (cli-progress) and the
// held-out scores printed above it; elsewhere (a log file, CI) one plain line per evaluation and every 10 s.
import cliProgress from 'cli-progress';
import type { CurvePoint, StepReport } from '../model/budgeted-run.ts';

const PLAIN_EVERY_SECONDS = 10;

export class TrainProgress {
  private readonly multi?: cliProgress.MultiBar;
  private readonly bar?: cliProgress.SingleBar;
  private lastPlain = -Infinity;

  constructor(private readonly budget: { seconds?: number; steps?: number }, stream: NodeJS.WriteStream = process.stderr) {
    if (!stream.isTTY) return;
    this.multi = new cliProgress.MultiBar({
      stream,
      format: '{bar} {percentage}% | ETA {eta_formatted} | step {step} | loss {loss} bpb | {rate} B/s | lr {lr}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic);
    this.bar = this.multi.create(1000, 0, { step: 0, loss: '-', rate: '-', lr: '-' });
  }

  step(r: StepReport): void {
    const fields = {
      step: r.steps,
      loss: (r.loss / Math.LN2).toFixed(3),
      rate: Math.round(r.bytesSeen / r.seconds),
      lr: r.lr.toExponential(1),
    };
    if (this.bar) {
      this.bar.update(Math.round(r.progress * 1000), fields);
      return;
    }
    if (r.seconds - this.lastPlain >= PLAIN_EVERY_SECONDS) {
      this.lastPlain = r.seconds;
      const eta = r.progress > 0 ? (r.seconds * (1 - r.progress)) / r.progress : 0;
      console.log(
        `step ${fields.step}: loss ${fields.loss} bpb, lr ${fields.lr}, ${fields.rate} bytes/s, ` +
          `${Math.round(r.progress * 100)}% done, ETA ${Math.round(eta)} s`,
      );
    }
  }

  evaluation(p: CurvePoint): void {
    const line = `step ${p.steps} (${p.seconds.toFixed(0)} s, ${p.bytesSeen} bytes): held-out ${p.valBpb.toFixed(3)} bpb`;
    if (this.multi) this.multi.log(`${line}\n`);
    else console.log(line);
  }

  stop(): void {
    this.multi?.stop();
  }
}
