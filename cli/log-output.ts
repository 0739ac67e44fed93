// Where a command's logs go. A person at a terminal reads human lines (warnings, errors, the events worth a
// line) under one redrawn progress line; pino's JSON goes to --log-file. Without a terminal, or with
// --log-json, the JSON goes to stdout (and to --log-file too), as log collectors and the end-to-end tests
// expect.
import pino, { type Logger } from 'pino';

export interface LogOutputOptions {
  name: string;
  level: string;
  /** JSON lines on stdout even at a terminal. */
  json?: boolean;
  /** Also (at a terminal: only) write pino's JSON lines to this file. */
  logFile?: string;
  /** Info messages a person sees as a line at a terminal; other info lines (one per round...) go to the file only. */
  humanInfo?: readonly string[];
  /** The terminal (default process.stdout). */
  out?: HumanTerminal;
}

/** The part of a tty.WriteStream the human output uses. */
export interface HumanTerminal {
  isTTY?: boolean;
  write(s: string): unknown;
}

export interface CliLog {
  logger: Logger;
  /** True when a person reads the terminal: draw a progress line, print human lines. */
  human: boolean;
  /** Redraws the progress line (at a terminal; a no-op otherwise). */
  progress(line: string): void;
  /** Ends the progress line with a newline (before exit). */
  finish(): void;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** pino's own fields, not shown as key=value in a human line. */
const META = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

export function createCliLog(opts: LogOutputOptions): CliLog {
  const out = opts.out ?? process.stdout;
  const human = !opts.json && out.isTTY === true;
  // Synchronous, so the last lines before process.exit are in the file.
  const file = opts.logFile ? pino.destination({ dest: opts.logFile, sync: true, mkdir: true }) : undefined;
  if (!human) {
    const streams: pino.StreamEntry[] = [{ level: opts.level as pino.Level, stream: pino.destination(1) }];
    if (file) streams.push({ level: opts.level as pino.Level, stream: file });
    const logger = pino({ name: opts.name, level: opts.level }, pino.multistream(streams));
    return { logger, human, progress: () => {}, finish: () => {} };
  }
  const line = new ProgressLine(out);
  const info = new Set(opts.humanInfo ?? []);
  const humanStream = {
    write(chunk: string) {
      for (const json of chunk.split('\n')) {
        if (!json) continue;
        const formatted = formatHumanLine(json, info);
        if (formatted) line.print(formatted);
      }
    },
  };
  const streams: pino.StreamEntry[] = [{ level: opts.level as pino.Level, stream: humanStream }];
  if (file) streams.push({ level: opts.level as pino.Level, stream: file });
  const logger = pino({ name: opts.name, level: opts.level }, pino.multistream(streams));
  return { logger, human, progress: (text) => line.update(text), finish: () => line.finish() };
}

/** `12:03:04 warn  cannot join: ... (code=ERR_CONNECT attempt=2)`, or undefined for a line a person need not see. */
export function formatHumanLine(json: string, humanInfo: ReadonlySet<string>): string | undefined {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = typeof rec.level === 'number' ? rec.level : 30;
  const msg = String(rec.msg ?? '');
  if (level < 40 && !humanInfo.has(msg)) return undefined;
  const time = new Date(typeof rec.time === 'number' ? rec.time : Date.now()).toTimeString().slice(0, 8);
  const fields = Object.entries(rec)
    .filter(([k]) => !META.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  const name = LEVEL_NAMES[level] ?? String(level);
  return `${time} ${name.padEnd(5)} ${msg}${fields.length ? `  (${fields.join(' ')})` : ''}`;
}

/** One line at the bottom of the terminal, redrawn in place; other lines are printed above it. */
export class ProgressLine {
  private text = '';
  constructor(private readonly out: HumanTerminal) {}

  update(text: string): void {
    this.text = text;
    this.out.write(`\r\x1b[2K${text}`);
  }

  print(line: string): void {
    this.out.write(`\r\x1b[2K${line}\n${this.text}`);
  }

  finish(): void {
    if (this.text) this.out.write('\n');
    this.text = '';
  }
}
