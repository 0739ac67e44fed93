// The coordinator's settings: one validated object built from defaults, then an optional JSON config file,
// then overrides (the CLI flags actually given). Every field is checked by a zod schema; a bad value is an
// error that names the field (`settings.schedule.maxLr: ...`), never a silent fallback.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_PRESET, PRESET_NAMES, isPresetName } from '../../model/config.ts';
import { RECIPES } from '../../model/recipe.ts';
import { DEFAULT_ADAMW } from '../../model/adamw.ts';
import { AGGREGATOR_NAMES } from '../aggregate/aggregator.ts';
import { CODEC_NAMES } from '../../protocol/codecs/names.ts';
import { MAX_ICE_SERVERS, MAX_TEXT } from '../../protocol/message-schemas.ts';
import { readRunTokens } from '../checkpoints/run-tokens.ts';
import { CheckpointStore } from '../checkpoints/store.ts';
import { admissionSchema, DEFAULT_ADMISSION } from './admission-settings.ts';


const positiveInt = z.int().min(1);
const nonNegativeInt = z.int().min(0);
const positive = z.number().positive().finite();

// Within what the welcome message can carry to the peers (checked here, at start, rather than in a socket
// handler when the first peer joins).
const iceUrl = z.string().max(MAX_TEXT).regex(/^(stun|turns?):/, 'must start with stun:, turn: or turns:');
const iceServerSchema = z.strictObject({
  urls: z.union([iceUrl, z.array(iceUrl).min(1).max(MAX_ICE_SERVERS)]),
  username: z.string().max(MAX_TEXT).optional(),
  credential: z.string().max(MAX_TEXT).optional(),
});

const scheduleSchema = z
  .strictObject({
    maxLr: positive,
    minLr: z.number().min(0).finite(),
    /** Optimizer steps (= model versions) of linear warmup. */
    warmupSteps: nonNegativeInt,
    /** Steps after which the cosine decay reaches minLr and stays there. */
    totalSteps: positiveInt,
  })
  .refine((s) => s.minLr <= s.maxLr, { message: 'minLr must be <= maxLr', path: ['minLr'] });

const adamwSchema = z.strictObject({
  beta1: z.number().min(0).lt(1),
  beta2: z.number().min(0).lt(1),
  eps: positive,
  weightDecay: z.number().min(0).finite(),
  clipNorm: z.number().min(0),
});

const deadlineSchema = z
  .strictObject({
    /** Deadline for a peer with no speed measurement yet. */
    defaultMs: positiveInt,
    minMs: positiveInt,
    maxMs: positiveInt,
    /** Deadline = safetyFactor x (assigned bytes / measured bytes per second). */
    safetyFactor: z.number().min(1).finite(),
    /** Weight of the newest measurement in the bytes/s moving average. */
    emaAlpha: z.number().gt(0).max(1),
  })
  .refine((d) => d.minMs <= d.maxMs, { message: 'minMs must be <= maxMs', path: ['minMs'] })
  .refine((d) => d.defaultMs >= d.minMs && d.defaultMs <= d.maxMs, {
    message: 'defaultMs must lie within [minMs, maxMs]',
    path: ['defaultMs'],
  });

/** What each periodic checkpoint is consolidated into (model/compress): pruning + quantization. */
const consolidationSchema = z.strictObject({
  /** Consolidate every periodic checkpoint (an admin action or `stlm consolidate` can always do it). */
  atCheckpoints: z.boolean(),
  /** Fraction of each prunable matrix set to zero, or the 2:4 structure. */
  sparsity: z.union([z.number().min(0).lt(1), z.literal('2:4')]),
  quant: z.enum(['int8', 'fp32']),
  scope: z.enum(['per-tensor', 'global']),
  /** 'oneshot', or 'gradual[:N]': sparsity rises to the target over N periodic checkpoints and the masks are
   * kept on the live master weights (Zhu & Gupta 2017). */
  schedule: z.string().regex(/^(oneshot|gradual(:[1-9]\d*)?)$/, 'must be oneshot, gradual or gradual:N'),
  pruneEmbedding: z.boolean(),
}).refine((c) => !(c.sparsity === '2:4' && c.schedule !== 'oneshot'), {
  message: '2:4 sparsity is one-shot only', path: ['schedule'],
});

export const settingsSchema = z.strictObject({
  runId: z.string().regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only'),
  port: z.int().min(0).max(65535),
  host: z.string().min(1),
  preset: z.enum(PRESET_NAMES as [string, ...string[]]),
  /** Training text (file, directory, *.jsonl); undefined = the embedded nlp-corpus package. */
  data: z.string().min(1).optional(),
  runDir: z.string().min(1),
  resume: z.boolean(),
  token: z.string().min(1),
  adminToken: z.string().min(1),
  codec: z.enum(CODEC_NAMES),
  aggregator: z.enum(AGGREGATOR_NAMES),
  /** Fraction cut from each end per coordinate by the trimmed-mean aggregator. */
  trimFraction: z.number().min(0).lt(0.5),
  /** 1 = synchronous data parallel; H > 1 = H inner steps per peer per round (DiLoCo). */
  localSteps: positiveInt,
  /** Examples per peer per (inner) step. */
  batchSize: positiveInt,
  minPeers: positiveInt,
  /** 0 = run until stopped. */
  maxRounds: nonNegativeInt,
  /** 0 = only on shutdown. */
  checkpointEvery: nonNegativeInt,
  keepCheckpoints: positiveInt,
  /** 0 = never. */
  evalEvery: nonNegativeInt,
  validationFraction: z.number().gt(0).lt(0.5),
  /** Validation examples scored per evaluation (a fixed prefix of the validation set). */
  validationExamples: positiveInt,
  iceServers: z.array(iceServerSchema).max(MAX_ICE_SERVERS, `at most ${MAX_ICE_SERVERS} ICE servers (what a welcome carries)`),
  deadline: deadlineSchema,
  heartbeatTimeoutMs: positiveInt,
  dataChannelTimeoutMs: positiveInt,
  /** Carry the frames of peers whose WebRTC cannot connect over their socket.io connection (--no-relay: refuse them). */
  relay: z.boolean(),
  admission: admissionSchema,
  schedule: scheduleSchema,
  adamw: adamwSchema,
  outer: z.strictObject({ lr: positive, momentum: z.number().min(0).lt(1) }),
  consolidation: consolidationSchema,
  /** Task files (ARC, WinoGrande, HellaSwag, BLiMP JSONL) scored at each checkpoint, off the round loop. */
  evalTasks: z.array(z.string().min(1)).optional(),
  seed: z.int().min(0).max(0xffffffff),
  backend: z.enum(['wasm', 'cpu']),
});

export type CoordinatorSettings = z.infer<typeof settingsSchema>;

/** Everything but the per-run fields (runId, runDir, tokens), which loadSettings generates when absent. */
export const DEFAULT_SETTINGS: Omit<CoordinatorSettings, 'runId' | 'runDir' | 'token' | 'adminToken'> = {
  port: 8080,
  host: '0.0.0.0',
  preset: DEFAULT_PRESET,
  data: undefined,
  resume: false,
  codec: 'int8',
  // Chosen by bench:poison (docs/robust-aggregation.md): with 1 bad peer of 3 or 2 of 5 sending noise of the
  // honest norm, the mean ends about 5% worse than an honest run; the median stays within 2% on every attack.
  aggregator: 'median',
  trimFraction: 0.2,
  localSteps: 1,
  batchSize: 8,
  minPeers: 1,
  maxRounds: 0,
  checkpointEvery: 50,
  keepCheckpoints: 3,
  evalEvery: 25,
  validationFraction: 0.01,
  validationExamples: 64,
  // A local run contacts no public STUN server; give --ice-server for peers on other networks.
  iceServers: [],
  deadline: { defaultMs: 60_000, minMs: 2_000, maxMs: 600_000, safetyFactor: 3, emaAlpha: 0.3 },
  heartbeatTimeoutMs: 15_000,
  dataChannelTimeoutMs: 20_000,
  relay: true,
  admission: DEFAULT_ADMISSION,
  // Overridden by the preset's recipe (model/recipe.ts), then by what the user gives. The rate holds after
  // warmup and decays over the last fifth of totalSteps (model/schedule.ts).
  schedule: { maxLr: 2e-3, minLr: 2e-4, warmupSteps: 20, totalSteps: 10_000 },
  adamw: { beta1: DEFAULT_ADAMW.beta1, beta2: DEFAULT_ADAMW.beta2, eps: DEFAULT_ADAMW.eps, weightDecay: DEFAULT_ADAMW.weightDecay, clipNorm: DEFAULT_ADAMW.clipNorm },
  // DiLoCo's outer Nesterov defaults.
  outer: { lr: 0.7, momentum: 0.9 },
  consolidation: { atCheckpoints: true, sparsity: 0.5, quant: 'int8', scope: 'per-tensor', schedule: 'oneshot', pruneEmbedding: false },
  seed: 1,
  backend: 'wasm',
};

/** Flat CLI-style aliases accepted in overrides and config files, mapped onto the nested fields. */
const ALIASES: Record<string, [string, string]> = {
  lr: ['schedule', 'maxLr'],
  minLr: ['schedule', 'minLr'],
  warmupSteps: ['schedule', 'warmupSteps'],
  totalSteps: ['schedule', 'totalSteps'],
  outerLr: ['outer', 'lr'],
  outerMomentum: ['outer', 'momentum'],
  sparsity: ['consolidation', 'sparsity'],
  quant: ['consolidation', 'quant'],
  pruneScope: ['consolidation', 'scope'],
  pruneSchedule: ['consolidation', 'schedule'],
  pruneEmbedding: ['consolidation', 'pruneEmbedding'],
  consolidate: ['consolidation', 'atCheckpoints'],
  maxPeers: ['admission', 'maxPeers'],
  maxPeersPerAddress: ['admission', 'maxPeersPerAddress'],
  misbehaviourBackoffMs: ['admission', 'backoffMs'],
};

export interface LoadSettingsOptions {
  /** A JSON file with (some of) the settings, nested like CoordinatorSettings. */
  configFile?: string;
  /** Applied last (the CLI flags given). Flat aliases: lr, minLr, warmupSteps, totalSteps, outerLr, outerMomentum,
   * sparsity, quant, pruneScope, pruneSchedule, pruneEmbedding, consolidate, maxPeers,
   * maxPeersPerAddress, misbehaviourBackoffMs. */
  overrides?: Record<string, unknown>;
  /** Where `runs/` lives (default: the current directory). */
  cwd?: string;
}

export function loadSettings(opts: LoadSettingsOptions = {}): CoordinatorSettings {
  const cwd = opts.cwd ?? process.cwd();
  let given: Record<string, unknown> = {};
  if (opts.configFile !== undefined) given = deepMerge(given, expandAliases(readConfigFile(opts.configFile), 'config file'));
  if (opts.overrides) given = deepMerge(given, expandAliases(opts.overrides, 'overrides'));
  // The preset's training recipe (batch, learning rates, warmup) sits between the defaults and what was given.
  const preset = typeof given.preset === 'string' ? given.preset : DEFAULT_SETTINGS.preset;
  let merged = deepMerge(structuredClone(DEFAULT_SETTINGS) as Record<string, unknown>, recipeSettings(preset));
  merged = deepMerge(merged, given);
  // Undefined values (flags not given) never replace a value.
  merged.runId ??= newRunId();
  if (merged.runDir === undefined) {
    merged.runDir = merged.resume === true ? newestRunDir(path.join(cwd, 'runs')) : path.join(cwd, 'runs', String(merged.runId));
  }
  // A resumed run keeps its tokens (saved in its run dir at start), so its peers and tabs can come back.
  const saved = merged.resume === true && typeof merged.runDir === 'string' ? readRunTokens(merged.runDir) : undefined;
  merged.token ??= saved?.token ?? randomBytes(12).toString('hex');
  merged.adminToken ??= saved?.adminToken ?? randomBytes(16).toString('hex');
  return parseSettings(merged);
}

/** Validates a complete settings object; throws one error listing every bad field. */
export function parseSettings(value: unknown): CoordinatorSettings {
  const r = settingsSchema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const field = ['settings', ...i.path.map(String)].join('.');
    const keys = (i as { keys?: string[] }).keys;
    return keys ? `${field}: unknown field(s) ${keys.map((k) => `"${k}"`).join(', ')}` : `${field}: ${i.message}`;
  });
  throw new Error(`invalid coordinator settings:\n  ${lines.join('\n  ')}`);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`config file ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`config file ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(value)) throw new Error(`config file ${file}: expected a JSON object at the top level`);
  return value;
}

function expandAliases(src: Record<string, unknown>, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (v === undefined) continue;
    const alias = ALIASES[k];
    if (!alias) {
      out[k] = v;
      continue;
    }
    const [group, field] = alias;
    const existing = out[group];
    if (existing !== undefined && !isPlainObject(existing)) throw new Error(`${where}: "${group}" must be an object`);
    out[group] = { ...(existing as Record<string, unknown> | undefined), [field]: v };
  }
  return out;
}

function recipeSettings(preset: string): Record<string, unknown> {
  if (!isPresetName(preset)) return {}; // the schema names the bad preset
  const r = RECIPES[preset];
  return { batchSize: r.batch, schedule: { maxLr: r.maxLr, minLr: r.minLr, warmupSteps: r.warmupSteps } };
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function newRunId(): string {
  return `run-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${randomBytes(2).toString('hex')}`;
}

/** `--resume` without `--run-dir`: the most recently modified run directory that holds a checkpoint. */
function newestRunDir(runsDir: string): string {
  const candidates = existsSync(runsDir)
    ? readdirSync(runsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && CheckpointStore.isRunDir(path.join(runsDir, d.name)))
        .map((d) => ({ dir: path.join(runsDir, d.name), mtime: statSync(path.join(runsDir, d.name)).mtimeMs }))
    : [];
  if (candidates.length === 0) throw new Error(`settings.runDir: --resume needs --run-dir (no run with a checkpoint in ${runsDir})`);
  candidates.sort((a, b) => b.mtime - a.mtime);
  return candidates[0]!.dir;
}
