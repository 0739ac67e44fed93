// The layering of the source tree, enforced: model/, protocol/, peer/core/ (and the other browser code) import
// no Node built-in, no folder imports one above it (test/support/imports.ts's LAYERS), and no import cycle.
// The checker is first shown to catch each kind of fault, so a passing run means something.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYERS, importCycles, layeringViolations, type SourceFile } from './support/imports.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): SourceFile[] {
  const out: SourceFile[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|mjs)$/.test(name) && !/\.test\.ts$/.test(name)) out.push({ path: rel, text: readFileSync(path.join(ROOT, rel), 'utf8') });
  }
  return out;
}

const topFolders = [...new Set(Object.keys(LAYERS).map((l) => l.split('/')[0]!))];
const files = topFolders.flatMap(sourceFiles);

describe('layering', () => {
  it('the checker catches a Node built-in in browser code, an upward import and a cycle', () => {
    const bad: SourceFile[] = [
      { path: 'model/a.ts', text: "import { readFileSync } from 'node:fs';\nimport { b } from './b.ts';" },
      { path: 'model/b.ts', text: "import { a } from './a.ts';\nexport const x = await import('../coordinator/run.ts');" },
      { path: 'peer/browser/c.ts', text: "import type { S } from '../../coordinator/status.ts';" },
    ];
    expect(layeringViolations(bad)).toEqual([
      'model/a.ts: imports the Node built-in "node:fs"',
      'model/b.ts: imports coordinator/run.ts (coordinator)',
      'peer/browser/c.ts: imports coordinator/status.ts (coordinator)',
    ]);
    expect(importCycles(bad)).toEqual([['model/a.ts', 'model/b.ts', 'model/a.ts']]);
  });

  it('every source file imports only its own layer and those below it', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(layeringViolations(files)).toEqual([]);
  });

  it('no source file imports in a cycle', () => {
    expect(importCycles(files)).toEqual([]);
  });
});
