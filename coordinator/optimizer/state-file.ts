// The optimizer state as a checkpoint stores it in optimizer.bin (the envelope is ../optimizer-file.ts). The
// files predate kinds: they hold the state without `kind`, and the field names tell the kinds apart
// ({m, v, t} is AdamW, {buffer, steps} outer Nesterov). Writing keeps exactly those objects, in that key order
// (the JSON header is part of the bytes), so older checkpoints load unchanged and new files are byte-identical
// to them. Loading validates the shape with zod; the values (lengths, NaN) are importState's to check.
import { z } from 'zod';
import { decodeOptimizerState, encodeOptimizerState } from './optimizer-file.ts';
import type { OptimizerKind, OptimizerState } from './optimizer.ts';

const floats = z.instanceof(Float32Array);
const stepCount = z.number().int().nonnegative();

const fileSchema = z.union([
  z.strictObject({ m: floats, v: floats, t: stepCount }).transform((s) => ({ kind: 'adamw' as const, ...s })),
  z.strictObject({ buffer: floats, steps: stepCount }).transform((s) => ({ kind: 'outer-nesterov' as const, ...s })),
]);
/** The union's options in order, to say which kind each list of problems is about. */
const UNION_KINDS = ['adamw', 'outer-nesterov'] as const satisfies readonly OptimizerKind[];

export function encodeOptimizerFile(s: OptimizerState): Uint8Array {
  switch (s.kind) {
    case 'adamw':
      return encodeOptimizerState({ m: s.m, v: s.v, t: s.t });
    case 'outer-nesterov':
      return encodeOptimizerState({ buffer: s.buffer, steps: s.steps });
    default: {
      const _: never = s;
      throw new Error(`optimizer state: unknown kind ${String((_ as { kind?: unknown }).kind)}`);
    }
  }
}

/** Decodes and validates optimizer.bin; throws naming what is wrong (the envelope's own errors included). */
export function decodeOptimizerFile(bytes: Uint8Array): OptimizerState {
  const r = fileSchema.safeParse(decodeOptimizerState(bytes));
  if (r.success) return r.data;
  throw new Error(`optimizer file: neither AdamW {m, v, t} nor outer Nesterov {buffer, steps} state (${unionSummary(r.error)})`);
}

/** What each kind's schema found wrong, e.g. "as adamw: t: Too small...; as outer-nesterov: ...". */
function unionSummary(err: z.ZodError): string {
  const issue = err.issues[0];
  if (issue?.code !== 'invalid_union') return err.issues.map(describeIssue).join(', ');
  return issue.errors.map((issues, k) => `as ${UNION_KINDS[k]}: ${issues.map(describeIssue).join(', ')}`).join('; ');
}

function describeIssue(i: z.core.$ZodIssue): string {
  return `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`;
}
