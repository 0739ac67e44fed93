// state.json, the text part of a checkpoint (checkpoints/files.ts says what it holds): its schema and its
// checksum. The binary files carry their sizes and CRC-32s in it; state.json itself carries a CRC-32 of its
// own text (`checksum`), so a flipped digit in the round, the data cursor or the pruning masks is caught
// when it loads, as a damaged weights file is, and the store falls back to the checkpoint before.
//
// The checksum covers the file as written without its `checksum` field: JSON.stringify gives back the same
// text from the parsed object (numbers and strings round-trip exactly, keys keep their order), so no
// canonical form is needed beyond writing and checking with the same stateText.
import { z } from 'zod';
import { crc32 } from '../../common/crc32.ts';
import type { DatasetCursor } from '../../data/dataset.ts';
import type { StlmConfig } from '../../model/config.ts';
import type { RoundRecord } from '../../protocol/status.ts';

/** 2: state.json carries `checksum`. Format 1 (before it) still loads, without that check. */
export const CHECKPOINT_FORMAT = 2;

const count = z.number().int().nonnegative();
const batchRecord = z.object({ batchId: count, epoch: count, indices: z.array(count).min(1) });

/** The data cursor's shape (Dataset.importCursor checks it against the data). */
const cursorSchema = z.object({
  format: z.literal(1),
  seed: count,
  trainExamples: count,
  trainBytes: count,
  epoch: count,
  position: count,
  nextBatchId: z.number().int().positive(),
  requeued: z.array(batchRecord),
  outstanding: z.array(batchRecord),
});

const fileCheck = z.object({ bytes: count, crc32: count });

/** Display history: each record needs its round; the rest is shown as it was saved. */
const historySchema = z.object({
  rounds: z.array(z.looseObject({ round: count })),
  validation: z.array(z.object({ round: count, bpb: z.number().nullable() })),
});

const stateJsonSchema = z.object({
  format: z.union([z.literal(1), z.literal(CHECKPOINT_FORMAT)]),
  runId: z.string().min(1),
  round: count,
  modelVersion: count,
  bytesProcessed: z.number().nonnegative(),
  savedAt: z.string(),
  // model/config.ts's configFromFile checks the config itself.
  config: z.record(z.string(), z.unknown()),
  settings: z.record(z.string(), z.unknown()),
  dataCursor: cursorSchema,
  history: historySchema,
  consolidation: z.unknown(),
  // The consolidator's own schema checks it (consolidation/consolidator.ts's parseConsolidatorState).
  pruning: z.unknown().optional(),
  files: z.record(z.string(), fileCheck),
  checksum: z.string().regex(/^crc32:[0-9a-f]{8}$/).optional(),
});

export interface StateJson {
  format: number;
  runId: string;
  round: number;
  modelVersion: number;
  bytesProcessed: number;
  savedAt: string;
  config: StlmConfig;
  settings: Record<string, unknown>;
  dataCursor: DatasetCursor;
  history: { rounds: RoundRecord[]; validation: Array<{ round: number; bpb: number }> };
  consolidation: unknown;
  pruning?: unknown;
  files: Record<string, { bytes: number; crc32: number }>;
}

/** state.json's text, with the checksum of everything else in it (any `checksum` given is replaced). */
export function stateText(state: object): string {
  const { checksum: _old, ...body } = state as { checksum?: unknown };
  return JSON.stringify({ ...body, checksum: checksumOf(body) }, null, 1);
}

/** Parses and checks state.json's text: JSON, the checksum, the schema. Throws a message naming what failed. */
export function parseStateJson(text: string): StateJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`not valid JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('not a JSON object');
  const { checksum, ...body } = raw as { checksum?: unknown };
  if (checksum !== undefined && checksum !== checksumOf(body)) throw new Error(`checksum mismatch (${String(checksum)}), the file is corrupt`);
  const parsed = stateJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  if (parsed.data.format >= 2 && checksum === undefined) throw new Error('no checksum (format 2 has one)');
  return parsed.data as unknown as StateJson;
}

function checksumOf(body: object): string {
  return `crc32:${crc32(new TextEncoder().encode(JSON.stringify(body, null, 1))).toString(16).padStart(8, '0')}`;
}
