// The settings of a resumed run. What defines the run (model shape, data and its order, local steps, and a
// gradual pruning schedule with its masks) comes from the checkpoint, so that `--resume --run-dir DIR` alone
// continues exactly; flags such as --port or --codec still apply. The checkpoint's settings are parsed by
// the same schema as fresh settings, and so is the result.
import { z } from 'zod';
import { settingsSchema, type CoordinatorSettings } from './settings.ts';

// Only the fields a resumed run takes from its checkpoint; others a checkpoint holds (from this or an older
// version) are ignored, not errors.
const savedSchema = z
  .object(settingsSchema.pick({ preset: true, seed: true, data: true, validationFraction: true, localSteps: true, consolidation: true }).shape)
  .partial();

export function resumedSettings(current: CoordinatorSettings, saved: unknown, hasPruningMasks: boolean): CoordinatorSettings {
  const parsed = savedSchema.safeParse(saved);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`the checkpoint's settings are not valid (${where})`);
  }
  const s = parsed.data;
  const merged: CoordinatorSettings = {
    ...current,
    preset: s.preset ?? current.preset,
    seed: s.seed ?? current.seed,
    data: s.data,
    validationFraction: s.validationFraction ?? current.validationFraction,
    localSteps: s.localSteps ?? current.localSteps,
  };
  // Gradual pruning's masks are part of the run: their target, scope and schedule come with them.
  if (hasPruningMasks && s.consolidation) {
    const { sparsity, scope, schedule, pruneEmbedding } = s.consolidation;
    merged.consolidation = { ...current.consolidation, sparsity, scope, schedule, pruneEmbedding };
  }
  return settingsSchema.parse(merged);
}
