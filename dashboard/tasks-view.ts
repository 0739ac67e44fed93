// The dashboard's multiple-choice table (`--eval-tasks`): accuracy at the last scored checkpoint, dense and
// consolidated, by both rules, with the 95% interval and the chance level to read them against.
import type { AccuracyFigure, TaskAccuracy, TaskEvalStatus } from '../protocol/status.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function accuracy(f: AccuracyFigure | undefined): string {
  return f ? `${pct(f.accuracy)} [${pct(f.ci95[0])}, ${pct(f.ci95[1])}]` : '-';
}

/** One row of strings per task: task, format, questions, chance, dense sum, dense per byte, consolidated sum,
 * consolidated per byte. */
export function taskTableRows(t: TaskEvalStatus): string[][] {
  const last = t.last;
  if (!last) return [];
  const consolidated = new Map((last.consolidated ?? []).map((c): [string, TaskAccuracy] => [c.task, c]));
  return last.dense.map((d) => {
    const c = consolidated.get(d.task);
    return [d.task.split(/[\\/]/).pop() ?? d.task, d.format, String(d.count), pct(d.chance), accuracy(d.sum), accuracy(d.perByte), accuracy(c?.sum), accuracy(c?.perByte)];
  });
}

/** The line above the table: which checkpoint, or why there is nothing yet. */
export function describeTasks(t: TaskEvalStatus): string {
  const head = t.last ? `Checkpoint ${t.last.checkpoint} (round ${t.last.round ?? '?'}), scored in ${(t.last.ms / 1000).toFixed(1)} s.` : `${t.files.length} task file(s); scored at each checkpoint, none yet.`;
  return t.lastError ? `${head} Last evaluation failed: ${t.lastError}` : head;
}

/** Shows the section only when the coordinator scores tasks. */
export function renderTasks(section: HTMLElement, t: TaskEvalStatus | undefined): void {
  section.hidden = !t;
  if (!t) return;
  section.querySelector('p')!.textContent = describeTasks(t);
  section.querySelector('tbody')!.replaceChildren(...taskTableRows(t).map((values) => {
    const tr = document.createElement('tr');
    for (const v of values) tr.insertCell().textContent = v;
    return tr;
  }));
}
