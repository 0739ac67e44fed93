import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (`model/*.test.ts`, ...); end-to-end tests that start real processes live in
// `test/`. The machines have 2 cores, so at most 2 test files run at once; tfjs-wasm runs in forked processes.
export default defineConfig({
  test: {
    include: ['{common,model,data,protocol,peer,coordinator,dashboard,ui,cli,test}/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
