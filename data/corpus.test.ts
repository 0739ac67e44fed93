import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadCorpus } from './corpus.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'stlm-corpus-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadCorpus', () => {
  it('loads the embedded nlp-corpus by default: 100 documents, several MB of English', async () => {
    const c = await loadCorpus();
    expect(c.name).toBe('nlp-corpus');
    expect(c.documents).toBe(100);
    expect(c.bytes.length).toBeGreaterThan(5_000_000);
    const head = new TextDecoder().decode(c.bytes.subarray(0, 200));
    expect(head).toMatch(/^[A-Z]/);
    expect(head).toContain('\n');
  });

  it('loads a .txt file, a directory of .txt files (sorted) and a .jsonl file', async () => {
    await writeFile(path.join(dir, 'one.txt'), 'hello world');
    expect(new TextDecoder().decode((await loadCorpus(path.join(dir, 'one.txt'))).bytes)).toBe('hello world');
    const sub = path.join(dir, 'docs');
    await mkdir(sub);
    await writeFile(path.join(sub, 'b.txt'), 'second');
    await writeFile(path.join(sub, 'a.txt'), 'first');
    await writeFile(path.join(sub, 'skip.md'), 'not text');
    const d = await loadCorpus(sub);
    expect(d.documents).toBe(2);
    expect(new TextDecoder().decode(d.bytes)).toBe('first\nsecond');
    await writeFile(path.join(dir, 'x.jsonl'), '{"text":"caf\\u00e9"}\n\n{"text":"b","id":2}\n');
    const j = await loadCorpus(path.join(dir, 'x.jsonl'));
    expect(j.documents).toBe(2);
    expect(Array.from(j.bytes)).toEqual([99, 97, 102, 0xc3, 0xa9, 10, 98]);
  });

  it('gives clear errors for missing, empty and malformed sources', async () => {
    await expect(loadCorpus(path.join(dir, 'nope.txt'))).rejects.toThrow(/no such file or directory/);
    await writeFile(path.join(dir, 'empty.txt'), '');
    await expect(loadCorpus(path.join(dir, 'empty.txt'))).rejects.toThrow(/empty/);
    const emptyDir = path.join(dir, 'emptydir');
    await mkdir(emptyDir);
    await expect(loadCorpus(emptyDir)).rejects.toThrow(/no .txt files/);
    await writeFile(path.join(dir, 'bad.jsonl'), '{"text":"ok"}\n{oops\n');
    await expect(loadCorpus(path.join(dir, 'bad.jsonl'))).rejects.toThrow(/line 2 is not valid JSON/);
    await writeFile(path.join(dir, 'notext.jsonl'), '{"body":"x"}\n');
    await expect(loadCorpus(path.join(dir, 'notext.jsonl'))).rejects.toThrow(/no string "text" field/);
  });
});
