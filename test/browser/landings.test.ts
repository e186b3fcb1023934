// The dashboard's Landings page as on-call uses it, in real Chromium against a real Sluice
// with the watch role on a landing folder: a corrupt file quarantined at the door shows its
// reason; once fixed, a person with jobs:write re-admits it by clicking (after a confirmation)
// and it runs; a read-only key sees no Re-admit button and a POST forged with its session is
// refused. The page passes axe-core with no serious violation, runs under the strict CSP
// without a violation, and is photographed (docs/screenshots/landings.png under make screenshots).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { writeCorruptParquet } from '../harness/sample-data.ts';
import { standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';
import { checkPage, dashboardInChromium, seriousViolations } from './browser-pages.ts';

const PIPELINE = 'arrivals';

let folder: string;
let quarantine: string;

const dashboard = dashboardInChromium({
  watch: true,
  pipelines: async (env) => {
    folder = join(env.landing, PIPELINE);
    quarantine = join(env.dir, 'quarantine');
    await mkdir(folder, { recursive: true });
    return [
      standInPipeline(PIPELINE, { max_attempts: 1 }, {
        sources: [{ kind: 'fs', path: folder, ready: { rule: 'stable', quiet: '300ms' } }],
        batch: { max_wait: '1s' },
        after: { quarantine },
      }),
    ];
  },
});
const newPage = () => dashboard.newPage();
const signIn = (page: Page, key: string, path: string) => dashboard.signIn(page, key, path);

type Landing = { fingerprint: string; path: string; state: string; jobId?: string; reason?: string };

async function landingAt(path: string): Promise<Landing | undefined> {
  const page = await dashboard.stack.api.data(dashboard.stack.api.api.GET('/v1/landings', { params: { query: { path, limit: 10 } } }));
  return page.items.find((landing) => landing.path === path);
}

/** Lands a corrupt file and waits until the door has quarantined it. */
async function quarantinedLanding(name: string): Promise<Landing> {
  await writeCorruptParquet(join(folder, name));
  return waitFor(`${name} quarantined at the door`, async () => {
    const landing = await landingAt(name);
    return landing?.state === 'quarantined' ? landing : undefined;
  }, 30_000, 200);
}

const row = (page: Page, path: string) => page.locator(`tr[data-path="${path}"]`);

describe('the Landings page', () => {
  it('shows a quarantined file with its reason; re-admitted by clicking, it runs', async () => {
    const landing = await quarantinedLanding('meter-7.parquet');
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.writer, '/ui/landings');
    await page.getByRole('heading', { name: 'Landings' }).waitFor();
    await page.locator('[data-feed="live"]').waitFor({ timeout: 30_000 });
    await row(page, 'meter-7.parquet').waitFor();
    expect(await row(page, 'meter-7.parquet').getAttribute('data-state')).toBe('quarantined');
    expect(await row(page, 'meter-7.parquet').getByTestId('landing-reason').textContent()).toContain('not a readable Parquet file');

    // Found by a part of its path.
    await page.getByLabel('Path contains').fill('meter-');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/path=meter-/);
    expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-path')))).toEqual(['meter-7.parquet']);
    await checkPage(page, 'landings');

    // Fixed where quarantine put it; then re-admitted, after a confirmation.
    await writeFile(join(quarantine, 'meter-7.parquet'), (await parquetBytes({ rows: 3 }))[0]!);
    await row(page, 'meter-7.parquet').getByRole('button', { name: /^Re-admit/ }).click();
    expect((await landingAt('meter-7.parquet'))!.state).toBe('quarantined');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Yes, re-admit' }).click();

    // The row moves on live, to done, with the job that ran it.
    await page.locator('tr[data-path="meter-7.parquet"][data-state="done"]').waitFor({ timeout: 90_000 });
    const done = (await landingAt('meter-7.parquet'))!;
    expect(done.fingerprint).toBe(landing.fingerprint);
    const job = await dashboard.stack.api.job(done.jobId!);
    expect(job).toMatchObject({ pipeline: PIPELINE, state: 'succeeded', inputs: [join(folder, 'meter-7.parquet')] });
    expect(await row(page, 'meter-7.parquet').getByText('Re-admitted').textContent()).toContain('API key "etl"');
    await row(page, 'meter-7.parquet').getByRole('link', { name: /job/ }).click();
    await page.waitForURL(`**/ui/jobs/${done.jobId}`);
  });

  it('a read-only key sees the reason but no Re-admit button, and a POST forged with its session is refused', async () => {
    const landing = await quarantinedLanding('meter-8.parquet');
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, '/ui/landings?state=quarantined');
    await row(page, 'meter-8.parquet').getByTestId('landing-reason').waitFor();
    expect(await page.getByRole('button', { name: /Re-admit/ }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);

    // The same request the button would send, from the page itself (same origin, the cookie goes along).
    const status = await page.evaluate(async (fingerprint) => (await fetch(`/v1/landings/${fingerprint}/readmit`, { method: 'POST' })).status, landing.fingerprint);
    expect(status).toBe(403);
    expect((await landingAt('meter-8.parquet'))!.state).toBe('quarantined');
  });

  it("a slow answer for a filter left behind does not replace the rows of the filter chosen after it", async () => {
    await quarantinedLanding('meter-9.parquet');
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, '/ui/landings');
    await row(page, 'meter-9.parquet').waitFor();
    const isRead = (state: string) => (url: URL) => url.pathname === '/v1/landings' && url.searchParams.get('state') === state;
    // The read for "done" is answered as the ledger is, but only after the next filter's rows are shown.
    let release: (() => Promise<void>) | undefined;
    await page.route(isRead('done'), async (route) => {
      const response = await route.fetch();
      release = () => route.fulfill({ response });
    });
    await page.getByLabel('State').selectOption('done');
    await expect.poll(() => release !== undefined, { timeout: 15_000 }).toBe(true);
    const quarantinedRead = page.waitForEvent('requestfinished', (request) => isRead('quarantined')(new URL(request.url())));
    await page.getByLabel('State').selectOption('quarantined');
    await quarantinedRead;
    await row(page, 'meter-9.parquet').waitFor();

    const doneRead = page.waitForEvent('requestfinished', (request) => isRead('done')(new URL(request.url())));
    await release!();
    await doneRead;
    await page.waitForTimeout(500);
    expect(page.url()).toContain('state=quarantined');
    const states = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    expect(new Set(states)).toEqual(new Set(['quarantined']));
    expect(await row(page, 'meter-9.parquet').count()).toBe(1);
  });
});
