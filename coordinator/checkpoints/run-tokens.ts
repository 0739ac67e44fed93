// A run's tokens, kept in its run directory so that `--resume` alone brings back the same join link and admin
// token: peers and open tabs then reconnect by themselves after a crash. Owner-only (mode 0600), and never in
// a checkpoint's state.json, which may be copied around.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.ts';
import { TOKENS_FILE } from './layout.ts';

const tokensSchema = z.object({ token: z.string().min(1), adminToken: z.string().min(1) });
export type RunTokens = z.infer<typeof tokensSchema>;

/** The tokens saved in `runDir`, or undefined if there are none; a damaged file is an error. */
export function readRunTokens(runDir: string): RunTokens | undefined {
  const file = path.join(runDir, TOKENS_FILE);
  if (!existsSync(file)) return undefined;
  const parsed = tokensSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is damaged (${parsed.error.issues[0]?.message}); pass --token and --admin-token, or delete it`);
  return parsed.data;
}

export async function saveRunTokens(runDir: string, tokens: RunTokens): Promise<void> {
  await mkdir(runDir, { recursive: true });
  await writeFileAtomic(path.join(runDir, TOKENS_FILE), JSON.stringify(tokens), 0o600);
}
