// The `stlm` command line. Each area registers its own sub-commands; this file only wires them together.
import { Command } from 'commander';

const program = new Command();
program
  .name('stlm')
  .description('stlm-swarm: train a Super Tiny byte-level Language Model together on browser tabs and Node peers')
  .showHelpAfterError();

// Sub-command modules are loaded lazily so that `stlm peer` does not pay for loading the coordinator.
const commands: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import('./train.ts'),
  () => import('./generate.ts'),
  () => import('./eval.ts'),
  () => import('./consolidate.ts'),
  () => import('./export.ts'),
  () => import('./coordinator.ts'),
  () => import('./peer.ts'),
];
for (const load of commands) (await load()).register(program);

await program.parseAsync(process.argv);
