// When a phone hides the tab (another app, the screen locks) or the device sleeps, the browser freezes the
// page: it can neither train nor answer heartbeats, and a round would wait for it until its deadline. This
// module notices both, so the page can leave cleanly (its batch is reassigned at once), say so, and join
// again when the person is back.

export interface LifecycleEvents {
  /** The tab was hidden (visibilityState 'hidden'). */
  onHidden(): void;
  /** The tab is visible again after `awayMs`. */
  onVisible(awayMs: number): void;
  /** Timers stopped for `sleptMs` (the device slept, or the page was frozen) and now run again. */
  onWoke(sleptMs: number): void;
}

/** A timer tick this late means the page did not run in between. */
const SLEEP_GAP_MS = 15_000;
const TICK_MS = 2_000;

export function watchPageLifecycle(doc: Document, events: LifecycleEvents): () => void {
  let hiddenAt = doc.visibilityState === 'hidden' ? Date.now() : 0;
  const onChange = () => {
    if (doc.visibilityState === 'hidden') {
      hiddenAt = Date.now();
      events.onHidden();
    } else if (hiddenAt) {
      const away = Date.now() - hiddenAt;
      hiddenAt = 0;
      events.onVisible(away);
    }
  };
  doc.addEventListener('visibilitychange', onChange);
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    if (now - last > SLEEP_GAP_MS) events.onWoke(now - last);
    last = now;
  }, TICK_MS);
  return () => {
    doc.removeEventListener('visibilitychange', onChange);
    clearInterval(timer);
  };
}

/**
 * Whether hiding the tab should end the session. A phone or tablet (coarse pointer) suspends a hidden tab, so
 * it leaves at once; a desktop browser keeps a background tab's workers running, so it trains on.
 * `?background=leave|train` overrides the guess.
 */
export function leavesWhenHidden(param: string | null, coarsePointer: boolean): boolean {
  if (param === 'leave') return true;
  if (param === 'train') return false;
  return coarsePointer;
}
