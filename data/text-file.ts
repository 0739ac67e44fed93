// Reads a file to be scored as text (`stlm eval --text`): every byte of it counts, so it must be non-empty
// UTF-8 text. A binary file would give a meaningless bits-per-byte figure; it gets a clear error instead.
import { readFile } from 'node:fs/promises';

/** Control bytes other than tab, newline, vertical tab, form feed and carriage return. */
function isBinaryControl(b: number): boolean {
  return b < 0x20 && !(b >= 0x09 && b <= 0x0d);
}

/** The file's bytes; throws a clear error when it is missing, empty, or not UTF-8 text. */
export async function readTextFile(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new Error(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length === 0) throw new Error(`${file} is empty: there is nothing to score`);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${file} is not UTF-8 text (it looks binary); --text scores text files`);
  }
  let control = 0;
  for (const b of bytes) if (isBinaryControl(b)) control++;
  if (control > 0) throw new Error(`${file} is not text: it has ${control} control bytes (NUL and the like); --text scores text files`);
  return bytes;
}
