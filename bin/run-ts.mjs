#!/usr/bin/env node
// Runs one TypeScript file (a benchmark script) through tsx: `node bin/run-ts.mjs bench/model.ts [args]`.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bin/run-ts.mjs FILE.ts [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(file), ...rest];
register();
await import(pathToFileURL(path.resolve(file)).href);
