/**
 * Headless Chromium for the report tests: Debian's `chromium` driven by playwright-core. Launches with the flags CI
 * uses, fails loudly (never skips) when the browser is missing, opens a report file while recording every request,
 * console error and page error, and closes the browser in `after` even when a test failed, checking that none of
 * the browser's processes outlive it.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's package puts the browser here; FAULTLINE_CHROMIUM overrides it (e.g. to test the missing-browser error). */
export const CHROMIUM_PATH = process.env.FAULTLINE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** The test API a report page exposes as `window.faultlineReport` (see reports/html). */
export interface FaultlineReportApi {
  lanes: string[];
  highlighted: number[];
  opCount: number;
  ready: boolean;
  /** Set by the page when part of it (e.g. the charts) failed to draw; absent or null when all is well. */
  error?: string | null;
}

/** Launches Chromium, or rejects with an error that says how to install it. */
export async function launchChromium(executablePath = CHROMIUM_PATH): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(
      `Chromium is not installed: ${executablePath} does not exist. The report browser tests need it: install Debian package chromium ` +
        `(apt-get install -y --no-install-recommends chromium; .ci/run does this).`,
    );
  }
  try {
    return await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (e) {
    throw new Error(`could not launch ${executablePath} (install Debian package chromium, or repair it): ${(e as Error).message}`);
  }
}

/** Parent pid of a live, non-zombie process, or undefined when it is gone or a zombie. */
function liveParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return Number(rest[1]);
  } catch {
    return undefined;
  }
}

/** Live processes descending from this test process whose command line names chromium: the browser we launched. */
export function ourChromiumProcesses(): Map<number, string> {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pp = liveParent(Number(name));
    if (pp !== undefined) parent.set(Number(name), pp);
  }
  const out = new Map<number, string>();
  for (const pid of parent.keys()) {
    let p: number | undefined = pid;
    let mine = false;
    for (let hops = 0; p !== undefined && p > 1 && hops < 64; hops++) {
      if (p === process.pid) {
        mine = pid !== process.pid;
        break;
      }
      p = parent.get(p);
    }
    if (!mine) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      if (/chrom/i.test(cmd)) out.set(pid, cmd);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

const alive = (pid: number) => liveParent(pid) !== undefined;

/**
 * Mocha hooks: launch one browser before the suite, close it after (whatever happened), then check that every
 * chromium process it started is gone; kills stragglers by pid and fails the hook if there were any.
 * Returns a getter for the browser.
 */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  let seen = new Map<number, string>();
  const remember = () => {
    for (const [pid, cmd] of ourChromiumProcesses()) seen.set(pid, cmd);
  };
  before(async function () {
    this.timeout(60_000);
    seen = new Map();
    browser = await launchChromium();
    remember();
  });
  afterEach(() => remember()); // renderer processes come and go with pages: note them while they live
  after(async function () {
    this.timeout(30_000);
    if (!browser) return;
    remember();
    const b = browser;
    browser = undefined;
    await Promise.race([b.close().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    const end = Date.now() + 5000;
    let left = [...seen.keys()].filter(alive);
    while (left.length > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 100));
      left = left.filter(alive);
    }
    if (left.length > 0) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      throw new Error(`chromium processes outlived browser.close(): ${left.map((p) => `${p} ${seen.get(p)!.slice(0, 120)}`).join('; ')}`);
    }
  });
  return () => {
    if (!browser) throw new Error('no browser: the before hook did not launch one');
    return browser;
  };
}

/** One opened report page and everything it did on the way. */
export interface OpenedReport {
  context: BrowserContext;
  page: Page;
  url: string;
  /** Every request the page made, the document itself included. */
  requests: string[];
  /** console.error messages and uncaught page errors. */
  errors: string[];
  /** ms from starting navigation until `window.faultlineReport.ready`. */
  readyMs: number;
}

/** Read the page's test API (a structured copy). */
export async function reportApi(page: Page): Promise<FaultlineReportApi> {
  const api = await page.evaluate(() => {
    const r = (globalThis as unknown as { faultlineReport?: FaultlineReportApi }).faultlineReport;
    return r ? { lanes: r.lanes, highlighted: r.highlighted, opCount: r.opCount, ready: r.ready, error: r.error ?? null } : null;
  });
  if (!api) throw new Error('the page defines no window.faultlineReport');
  return api;
}

/**
 * Opens a report file in a fresh context and waits until it says it is ready (throws with the page's errors when it
 * never does). Requests other than the document are recorded, and aborted so that a leaky report cannot hang.
 */
export async function openReport(browser: Browser, htmlPath: string, readyTimeoutMs = 15_000): Promise<OpenedReport> {
  const url = pathToFileURL(htmlPath).href;
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await context.route('**/*', (route) => (route.request().url() === url ? route.continue() : route.abort()));
  const started = performance.now();
  await page.goto(url, { waitUntil: 'load', timeout: readyTimeoutMs });
  try {
    await page.waitForFunction(() => (globalThis as unknown as { faultlineReport?: FaultlineReportApi }).faultlineReport?.ready === true, undefined, {
      timeout: readyTimeoutMs,
      polling: 10,
    });
  } catch (e) {
    throw new Error(`${htmlPath} never set window.faultlineReport.ready within ${readyTimeoutMs} ms (${(e as Error).message.split('\n')[0]}); page errors: ${errors.join(' | ') || 'none'}`);
  }
  const readyMs = performance.now() - started;
  return { context, page, url, requests, errors, readyMs };
}
