// The import graph of the project's own source files, and the layering rules it must follow: each folder may
// import only the folders below it, and the browser-safe folders no Node built-in. Used by layering.test.ts.
import { builtinModules } from 'node:module';
import path from 'node:path';

/** Folder (layer) -> the layers its non-test files may import (itself included). */
export const LAYERS: Record<string, string[]> = {
  common: ['common'],
  model: ['common', 'model'],
  protocol: ['common', 'model', 'protocol'],
  data: ['common', 'model', 'data'],
  'peer/core': ['common', 'model', 'protocol', 'peer/core'],
  'peer/node': ['common', 'model', 'protocol', 'peer/core', 'peer/node'],
  'peer/browser': ['common', 'model', 'protocol', 'peer/core', 'peer/browser', 'ui'],
  ui: ['common', 'protocol', 'ui'],
  dashboard: ['common', 'protocol', 'ui', 'dashboard'],
  coordinator: ['common', 'model', 'protocol', 'data', 'coordinator'],
  cli: ['common', 'model', 'protocol', 'data', 'peer/core', 'peer/node', 'coordinator', 'cli'],
};

/** Layers that run in a browser (or a Web Worker): no Node built-ins. */
export const BROWSER_SAFE = ['common', 'model', 'protocol', 'peer/core', 'peer/browser', 'ui', 'dashboard'];

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

/** The specifiers a file imports: static imports and re-exports, side-effect imports, dynamic import(). */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

export function layerOf(file: string): string | undefined {
  return Object.keys(LAYERS)
    .filter((l) => file === l || file.startsWith(`${l}/`))
    .sort((a, b) => b.length - a.length)[0];
}

/** Every import that breaks the rules, as "file: reason". */
export function layeringViolations(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const layer = layerOf(f.path);
    if (!layer) continue;
    for (const spec of importSpecifiers(f.text)) {
      if (NODE_BUILTINS.has(spec) && BROWSER_SAFE.includes(layer)) problems.push(`${f.path}: imports the Node built-in "${spec}"`);
      if (!spec.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f.path), spec));
      const targetLayer = layerOf(target);
      if (!targetLayer || !LAYERS[layer]!.includes(targetLayer)) problems.push(`${f.path}: imports ${target} (${targetLayer ?? 'outside every layer'})`);
    }
  }
  return problems;
}

/** Import cycles among the given files (each as the list of files around it). */
export function importCycles(files: SourceFile[]): string[][] {
  const known = new Set(files.map((f) => f.path));
  const edges = new Map(
    files.map((f) => [
      f.path,
      importSpecifiers(f.text)
        .filter((s) => s.startsWith('.'))
        .map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(f.path), s)))
        .filter((t) => known.has(t)),
    ]),
  );
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const f of known) if (!state.has(f)) visit(f);
  return cycles;
}
