// Builds the browser bundle once per test file: targeted `npx vitest run test/...` skips npm's pretest.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export function buildBrowserBundle(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-browser.mjs')], { cwd: ROOT, stdio: 'pipe' });
}
