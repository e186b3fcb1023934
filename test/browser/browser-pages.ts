// What every browser test file shares: Debian's Chromium (never a downloaded browser), pages
// that record CSP violations and uncaught errors (a test's afterEach requires none) and are
// printed as they stand when a test fails, signing
// in through the form as a person does, the axe-core scan and the screenshots for docs/.
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { startDashboardStack, type DashboardStack, type DashboardStackOptions } from './dashboard-stack.ts';

const CHROMIUM = '/usr/bin/chromium';
// Every test run takes its screenshots (a page that cannot be photographed fails), but only
// `make screenshots` writes them over docs/screenshots/: a plain `make test` left eight
// changed images in every checkout it ran in.
const SCREENSHOTS = process.env.SLUICE_UPDATE_SCREENSHOTS === '1'
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : join(tmpdir(), 'sluice-screenshots/');

export class BrowserPages {
  private readonly contexts: BrowserContext[] = [];
  /** CSP violations and uncaught errors of every page opened, by page. */
  private readonly problems = new Map<Page, string[]>();

  private constructor(private readonly browser: Browser) {}

  static async launch(): Promise<BrowserPages> {
    // Root in CI: Chromium's sandbox needs an unprivileged user, so it is off (the page is our own).
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    await mkdir(SCREENSHOTS, { recursive: true });
    return new BrowserPages(browser);
  }

  async newPage(): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 900 } });
    this.contexts.push(context);
    const page = await context.newPage();
    const found: string[] = [];
    this.problems.set(page, found);
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) found.push(message.text());
    });
    page.on('pageerror', (error) => found.push(`uncaught: ${error.message}`));
    return page;
  }

  /**
   * For a failed test: each open page's address and what it shows, on stderr. The run's
   * temporary folder goes with the run, and a CI log is all that is left of a failure.
   */
  async printOpenPages(): Promise<void> {
    for (const page of this.problems.keys()) {
      const shown = await page
        .locator('body')
        .innerText({ timeout: 2_000 })
        .catch((error: Error) => `(could not be read: ${error.message})`);
      process.stderr.write(`page ${page.url()} shows:\n${shown.slice(0, 3_000)}\n`);
    }
  }

  /** For afterEach: no page opened by the test met a CSP violation or an uncaught error; closes them all. */
  async expectNoProblemsAndClose(): Promise<void> {
    for (const [page, found] of this.problems) expect(found, `page ${page.url()}`).toEqual([]);
    this.problems.clear();
    for (const context of this.contexts.splice(0)) await context.close();
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

export async function signIn(page: Page, url: string, key: string, path = '/ui/'): Promise<void> {
  await page.goto(url + path);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as').waitFor();
}

/** axe-core in the page (evaluated, not injected as a script tag: the CSP forbids inline scripts). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axe.source);
  // Page code is passed as text: this file is type-checked without the DOM's types.
  const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults;
  return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/** No serious accessibility violation, then a full-page screenshot, <name>.png (into docs/screenshots/ under `make screenshots`). */
export async function checkPage(page: Page, screenshot: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  await page.screenshot({ path: `${SCREENSHOTS}${screenshot}.png`, fullPage: true });
}

/** A browser test file's dashboard: a real Sluice (the stack) and Chromium, started once for the file, with the per-test checks. */
export type DashboardInChromium = {
  readonly stack: DashboardStack;
  newPage(): Promise<Page>;
  signIn(page: Page, key: string, path?: string): Promise<void>;
};

/** Registers the file's hooks: start the stack and the browser, require no page problems after each test, stop both. */
export function dashboardInChromium(options: DashboardStackOptions = {}): DashboardInChromium {
  let stack: DashboardStack | undefined;
  let pages: BrowserPages | undefined;
  beforeAll(async () => {
    stack = await startDashboardStack(options);
    pages = await BrowserPages.launch();
  }, 180_000);
  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail') await pages?.printOpenPages();
    await pages?.expectNoProblemsAndClose();
  });
  afterAll(async () => {
    await pages?.close();
    await stack?.close();
  });
  return {
    get stack() {
      return stack!;
    },
    newPage: () => pages!.newPage(),
    signIn: (page, key, path = '/ui/') => signIn(page, stack!.url, key, path),
  };
}
