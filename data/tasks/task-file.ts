// A task file: one JSON object a line, all in one format (recognised from the first line that has a known
// format's fields). A malformed line is reported with its line number and skipped; a file with no valid line
// is an error. Nothing is downloaded: users pass the files.
import { readFile } from 'node:fs/promises';
import type { ChoiceItem } from '../../model/choice-eval.ts';
import { itemOf, recogniseFormat, type TaskFormat } from './formats.ts';

export interface LineError {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface TaskFile {
  /** The file's name as given (reports name tasks by it). */
  name: string;
  format: TaskFormat;
  items: ChoiceItem[];
  /** Lines skipped, and why. */
  skipped: LineError[];
}

/** Parses the text of a task file; `name` names it in errors. */
export function parseTaskText(text: string, name: string): TaskFile {
  const items: ChoiceItem[] = [];
  const skipped: LineError[] = [];
  let format: TaskFormat | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        throw new Error('not valid JSON');
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new Error('not a JSON object');
      const found = recogniseFormat(obj as Record<string, unknown>);
      if (!found) throw new Error(`fields ${Object.keys(obj).join(', ') || '(none)'} match no task format (ARC, WinoGrande, HellaSwag, BLiMP)`);
      if (format !== undefined && found !== format) throw new Error(`a ${found} line in a ${format} file`);
      items.push(itemOf(found, obj));
      format = found;
    } catch (e) {
      skipped.push({ line: i + 1, message: (e as Error).message });
    }
  });
  if (format === undefined || items.length === 0) {
    const why = skipped.slice(0, 3).map((s) => `line ${s.line}: ${s.message}`).join('; ');
    throw new Error(`${name}: no valid task line${why ? ` (${why}${skipped.length > 3 ? '; ...' : ''})` : ' (the file is empty)'}`);
  }
  return { name, format, items, skipped };
}

/** Reads and parses a task file. */
export async function readTaskFile(file: string): Promise<TaskFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(`cannot read task file ${file}`);
  }
  return parseTaskText(text, file);
}
