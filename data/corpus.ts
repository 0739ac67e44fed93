// Loads a training corpus as one UTF-8 byte stream (Node side).
// Sources: 'nlp-corpus' (default: the npm package's builds/doc-N.json, each an array of sentences, joined with
// '\n'), a .txt FILE, a DIRECTORY of .txt files (sorted by name), or a .jsonl file with a "text" field.
import { readFile, readdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface Corpus {
  name: string;
  bytes: Uint8Array;
  /** Documents joined into the stream (files, JSON docs or JSONL lines). */
  documents: number;
}

export const DEFAULT_CORPUS = 'nlp-corpus';

export async function loadCorpus(source: string = DEFAULT_CORPUS): Promise<Corpus> {
  const docs = source === DEFAULT_CORPUS ? await nlpCorpusDocs() : await fileDocs(source);
  const nonEmpty = docs.filter((d) => d.length > 0);
  if (nonEmpty.length === 0) throw new Error(`corpus ${source}: no text found (it is empty)`);
  const bytes = new Uint8Array(Buffer.from(nonEmpty.join('\n'), 'utf8'));
  return { name: source === DEFAULT_CORPUS ? DEFAULT_CORPUS : path.basename(source), bytes, documents: nonEmpty.length };
}

async function nlpCorpusDocs(): Promise<string[]> {
  const require = createRequire(import.meta.url);
  // The package exports only its entry point, so find builds/ from there (src/server/index.js).
  const root = path.resolve(path.dirname(require.resolve('nlp-corpus')), '..', '..');
  const dir = path.join(root, 'builds');
  const files = (await readdir(dir)).filter((f) => /^doc-\d+\.json$/.test(f));
  files.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]));
  if (files.length === 0) throw new Error(`corpus nlp-corpus: no builds/doc-N.json files in ${dir}`);
  return Promise.all(
    files.map(async (f) => {
      const sentences: unknown = JSON.parse(await readFile(path.join(dir, f), 'utf8'));
      if (!Array.isArray(sentences)) throw new Error(`corpus nlp-corpus: ${f} is not an array of sentences`);
      return sentences.filter((s): s is string => typeof s === 'string').join('\n');
    }),
  );
}

async function fileDocs(source: string): Promise<string[]> {
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new Error(`corpus ${source}: no such file or directory`);
  }
  if (info.isDirectory()) {
    const files = (await readdir(source)).filter((f) => f.endsWith('.txt')).sort();
    if (files.length === 0) throw new Error(`corpus ${source}: the directory has no .txt files`);
    return Promise.all(files.map((f) => readFile(path.join(source, f), 'utf8')));
  }
  const text = await readFile(source, 'utf8');
  if (source.endsWith('.jsonl')) return jsonlDocs(source, text);
  return [text];
}

function jsonlDocs(source: string, text: string): string[] {
  const docs: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new Error(`corpus ${source}: line ${i + 1} is not valid JSON`);
    }
    const t = (row as { text?: unknown } | null)?.text;
    if (typeof t !== 'string') throw new Error(`corpus ${source}: line ${i + 1} has no string "text" field`);
    docs.push(t);
  });
  return docs;
}
