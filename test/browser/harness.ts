// Launches Debian's chromium through playwright-core for the real-browser tests.
// Why these flags: without `--allow-loopback-in-peer-connection` and with mDNS host-candidate hiding on,
// Chromium hides or skips 127.0.0.1 candidates and ICE never completes inside a loopback-only namespace
// (see ../shared/notes/field-notes.md).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.STLM_CHROMIUM ?? '/usr/bin/chromium';

/** The flags that let Chromium's WebRTC connect over loopback; a stock browser has neither. */
export const WEBRTC_LOOPBACK_FLAGS = ['--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  ...WEBRTC_LOOPBACK_FLAGS,
  // Background tabs must keep training at full speed while another tab is in front.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

const INSTALL_HINT =
  `No Chromium at ${CHROMIUM_PATH}. The real-browser tests need Debian's chromium: ` +
  '`apt-get install -y --no-install-recommends chromium` (or set STLM_CHROMIUM to another Chromium binary).';

/** True when a browser is present. In CI a missing browser is an error, never a silent skip. */
export function chromiumAvailable(): boolean {
  const present = existsSync(CHROMIUM_PATH);
  if (!present) {
    if (process.env.CI && process.env.CI !== 'false') throw new Error(`[browser tests] ${INSTALL_HINT}`);
    console.warn(`\n*** [browser tests SKIPPED] ${INSTALL_HINT} ***\n`);
  }
  return present;
}

/** Throws a loud, actionable error when the browser is missing (use inside a test that must run). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`[browser tests] ${INSTALL_HINT}`);
}

export interface BrowserSession {
  context: BrowserContext;
  newPage(): Promise<Page>;
  /** Console lines and page errors of every page, for failure messages. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * A fresh headless Chromium with its own throw-away user-data-dir; `extraArgs` adds launch flags, and
 * `stockWebRtc` leaves out the loopback WebRTC flags (a user's browser, whose WebRTC finds no path here).
 */
export async function launchBrowser(opts: { extraArgs?: string[]; stockWebRtc?: boolean } = {}): Promise<BrowserSession> {
  requireChromium();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'stlm-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_FLAGS.filter((f) => !(opts.stockWebRtc && WEBRTC_LOOPBACK_FLAGS.includes(f))), ...(opts.extraArgs ?? [])],
    viewport: { width: 1100, height: 800 },
  });
  const logs: string[] = [];
  let opened = 0;
  const watch = (page: Page): Page => {
    const index = opened++;
    page.on('console', (m) => logs.push(`[tab ${index} ${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[tab ${index} pageerror] ${e.message}`));
    return page;
  };
  // The persistent context opens with one blank tab: hand it out first instead of leaving it idle.
  let spare: Page | undefined = context.pages()[0];
  return {
    context,
    logs,
    async newPage() {
      const page = spare ?? (await context.newPage());
      spare = undefined;
      return watch(page);
    },
    async close() {
      await context.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
