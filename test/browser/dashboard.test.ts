// The ops dashboard as on-call uses it, in real Chromium (Debian's, driven by playwright-core)
// against a real Sluice (real Redis, the local launcher running the stand-in app through
// spark-submit). The tests look at what a person sees and does: headings, labelled fields,
// buttons by their names, rows appearing and changing state, and what the API then holds.
// Each page also passes axe-core with no serious or critical violation, runs under the strict
// CSP without a single violation, and is photographed (into docs/screenshots/ under make screenshots).
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../broker/ui/browser-session.ts';
import { waitFor } from '../harness/wait-for.ts';
import { checkPage, dashboardInChromium } from './browser-pages.ts';
import { standInPipeline } from '../harness/stand-in-app.ts';
import { PIPELINE } from './dashboard-stack.ts';

const NIGHTLY = 'nightly';

// A nightly pipeline beside the stand-in, for the pipeline page's schedule (it ticks at 03:00 Zurich time, never during a test run that starts after it).
const dashboard = dashboardInChromium({
  pipelines: async () => {
    // Built in one parse: a parsed pipeline's 500 ms backoff, parsed again, would read as a
    // bare 500 with its unit left out.
    return [standInPipeline(NIGHTLY, { max_attempts: 1 }, { input: { paths: ['none.parquet'] }, schedule: { cron: '0 3 * * *', timezone: 'Europe/Zurich' } })];
  },
});
const newPage = () => dashboard.newPage();
const signIn = (page: Page, key: string, path = '/ui/') => dashboard.signIn(page, key, path);

async function sessionCookie(page: Page): Promise<string | undefined> {
  return (await page.context().cookies()).find((cookie) => cookie.name === SESSION_COOKIE)?.value;
}

const feedIs = (page: Page, status: 'live' | 'lost') => page.locator(`[data-feed="${status}"]`).waitFor({ timeout: 30_000 });
const row = (page: Page, id: string) => page.locator(`tr[data-job="${id}"]`);
const jobState = async (id: string) => (await dashboard.stack.api.job(id)).state;

describe('signing in', () => {
  it('a wrong key gets a clear message and no session; the right one opens the overview', async () => {
    const page = await newPage();
    await page.goto(`${dashboard.stack.url}/ui/`);
    await page.getByRole('heading', { name: 'Sign in to Sluice' }).waitFor();
    await checkPage(page, 'sign-in');

    await page.getByLabel('API key').fill('sk_not-a-key-anyone-was-given');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/That API key is not valid/);
    expect(await sessionCookie(page)).toBeUndefined();
    expect(await dashboard.stack.redis.keys('sluice:ui:session:*')).toEqual([]);

    await page.getByLabel('API key').fill(dashboard.stack.keys.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(await page.getByText('Signed in as').textContent()).toContain('ops');
    const cookie = (await page.context().cookies()).find((c) => c.name === SESSION_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    // Only the cookie: the key is kept nowhere a script could read it.
    const stored = (await page.evaluate('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie })')) as string;
    expect(stored).not.toContain(dashboard.stack.keys.admin);
    expect(stored).not.toContain(cookie!.value);

    await page.locator('[data-testid="count-queued"]').filter({ hasText: /\d/ }).waitFor();
    expect(await page.getByTestId('queue-state').textContent()).toBe('running');
    await checkPage(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Sluice' }).waitFor();
    // The session is gone on the server, not only in the browser.
    const response = await fetch(`${dashboard.stack.url}/v1/jobs`, { headers: { Cookie: `${SESSION_COOKIE}=${cookie!.value}` } });
    expect(response.status).toBe(401);
  });

  it('an admin pauses and resumes the queue from the overview', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.admin);
    await page.getByRole('button', { name: 'Pause the queue' }).click();
    await page.getByTestId('queue-state').filter({ hasText: 'paused' }).waitFor();
    expect((await dashboard.stack.api.data(dashboard.stack.api.api.GET('/v1/queues'))).items[0]!.paused).toBe(true);
    await page.getByRole('button', { name: 'Resume the queue' }).click();
    await page.getByTestId('queue-state').filter({ hasText: 'running' }).waitFor();
    expect((await dashboard.stack.api.data(dashboard.stack.api.api.GET('/v1/queues'))).items[0]!.paused).toBe(false);
  });

  it('a re-read in flight when Pause is clicked does not show the queue running again', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.admin);
    await page.getByTestId('queue-state').filter({ hasText: 'running' }).waitFor();
    await feedIs(page, 'live');
    // The overview's reads of the queue are answered as the queue is when they are made, and
    // held back until after the pause: a slow read, overtaken by the click.
    const held: Array<() => Promise<void>> = [];
    let holding = true;
    await page.route(
      (url) => url.pathname === '/v1/queues',
      async (route) => {
        if (!holding) return route.continue();
        const response = await route.fetch();
        held.push(() => route.fulfill({ response }));
      },
    );
    // A job's events make the page read again; all of them are in (and their reads held) before the click.
    const id = await dashboard.stack.submit({ seconds: 0 });
    await waitFor('the job to succeed', async () => ((await jobState(id)) === 'succeeded' ? true : undefined), 90_000, 250);
    await expect.poll(() => held.length, { timeout: 15_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(2_000);
    try {
      await page.getByRole('button', { name: 'Pause the queue' }).click();
      await page.getByTestId('queue-state').filter({ hasText: 'paused' }).waitFor();
      holding = false;
      const reads = held.length;
      const answered = Promise.all(Array.from({ length: reads }, () => page.waitForEvent('requestfinished', (request) => new URL(request.url()).pathname === '/v1/queues')));
      await Promise.all(held.splice(0).map((release) => release()));
      await answered;
      await page.waitForTimeout(500);
      expect(await page.getByTestId('queue-state').textContent()).toMatch(/^paused/);
    } finally {
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/resume', { params: { path: { name: 'jobs' } } }));
    }
  });

  it('a sign-out Sluice cannot carry out says so and keeps the person signed in; tried again, it ends the session', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader);
    const cookie = `${SESSION_COOKIE}=${await sessionCookie(page)}`;
    const status = async () => (await fetch(`${dashboard.stack.url}/v1/jobs`, { headers: { Cookie: cookie } })).status;
    await dashboard.stack.env.redis.stop();
    try {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('alert').filter({ hasText: 'Sign-out failed' }).waitFor({ timeout: 15_000 });
      expect(await page.getByText('Signed in as').count()).toBe(1);
      expect(await page.getByText('Signed out.').count()).toBe(0);
      expect(`${SESSION_COOKIE}=${await sessionCookie(page)}`).toBe(cookie);
    } finally {
      await dashboard.stack.env.redis.restart();
    }
    // True: the session still opens the API.
    await expect.poll(status, { timeout: 15_000, interval: 250 }).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Sluice' }).waitFor();
    expect(await page.getByText('Signed out.').count()).toBe(1);
    expect(await status()).toBe(401);
  });
});

describe('live jobs', () => {
  it('a job submitted through the API appears and reaches succeeded without a reload', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, '/ui/jobs');
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await feedIs(page, 'live');
    // Gone after any reload: proves the row came without one.
    await page.evaluate('window.notReloaded = true');

    const id = await dashboard.stack.submit({ seconds: 1 });
    await row(page, id).waitFor({ timeout: 30_000 });
    await page.locator(`tr[data-job="${id}"][data-state="succeeded"]`).waitFor({ timeout: 90_000 });
    expect(await row(page, id).getByText('succeeded').count()).toBe(1);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await checkPage(page, 'jobs');
  });

  it('pages through jobs by cursor, newest first', async () => {
    // Held in the queue (paused) so that 30 jobs cost no Spark runs; cancelled afterwards.
    await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/pause', { params: { path: { name: 'jobs' } } }));
    const ids: string[] = [];
    try {
      for (let i = 0; i < 30; i += 1) ids.push(await dashboard.stack.submit({ seconds: 0 }));
      const page = await newPage();
      await signIn(page, dashboard.stack.keys.reader, '/ui/jobs?state=queued');
      await row(page, ids[29]!).waitFor();
      const first = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
      expect(first).toEqual([...ids].reverse().slice(0, 25));
      await page.getByRole('link', { name: 'Next page' }).click();
      await row(page, ids[0]!).waitFor();
      const second = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
      expect(second).toEqual([...ids].reverse().slice(25));
      expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
      await page.getByRole('link', { name: 'First page' }).click();
      await row(page, ids[29]!).waitFor();
    } finally {
      for (const id of ids) await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/resume', { params: { path: { name: 'jobs' } } }));
    }
  });

  it('the state filter shows only jobs in that state', async () => {
    const page = await newPage();
    const id = await dashboard.stack.submit({ exit: 3 });
    await waitFor('the job to fail', async () => ((await jobState(id)) === 'failed' ? true : undefined), 90_000, 250);
    await signIn(page, dashboard.stack.keys.reader, '/ui/jobs');
    await page.getByLabel('State').selectOption('failed');
    await row(page, id).waitFor();
    const states = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-state')));
    expect(new Set(states)).toEqual(new Set(['failed']));
    expect(page.url()).toContain('state=failed');
  });

  it('when the live feed drops, the page says so, reconnects and shows the current truth', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, '/ui/jobs');
    await feedIs(page, 'live');
    await dashboard.stack.stopApi();
    await feedIs(page, 'lost');
    expect(await page.getByRole('status').filter({ hasText: 'Lost the live feed' }).count()).toBe(1);
    // Meanwhile a job is submitted (by a watcher, say) and runs to its end: no event reaches the page.
    const id = (await dashboard.stack.worker.jobs.submit({ pipeline: 'stand-in', parameters: { seconds: 0 }, inputs: ['none.parquet'], labels: {} })).job.id;
    await waitFor('the job to succeed', async () => ((await dashboard.stack.worker.jobs.get(id)).state === 'succeeded' ? true : undefined), 90_000, 250);
    await dashboard.stack.startApi();
    await feedIs(page, 'live');
    // Read again, not pieced together from events: the job is there, and in its real state.
    await page.locator(`tr[data-job="${id}"][data-state="succeeded"]`).waitFor({ timeout: 30_000 });
  });

  it('a Redis restart under an open page leaves no stale "running"', async () => {
    const page = await newPage();
    const id = await dashboard.stack.submit({ seconds: 6 });
    await waitFor('the job to run', async () => ((await jobState(id)) === 'running' ? true : undefined), 90_000, 250);
    await signIn(page, dashboard.stack.keys.reader, `/ui/jobs/${id}`);
    await page.getByTestId('job-state').filter({ hasText: 'running' }).waitFor();
    await dashboard.stack.env.redis.restart(1_500);
    await page.getByTestId('job-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 90_000 });
    await feedIs(page, 'live');
  });

  it('filters by a label and by a path search, and shows only the matching job', async () => {
    // Held in the queue (paused) so that the jobs cost no Spark runs; cancelled afterwards.
    await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/pause', { params: { path: { name: 'jobs' } } }));
    const tag = `t${Date.now().toString(36)}`;
    const submit = async (labels: Record<string, string>, input: string) => (await dashboard.stack.api.submit({ pipeline: PIPELINE, parameters: { seconds: 0 }, inputs: [input], labels })).id;
    const ids: string[] = [];
    try {
      const wanted = await submit({ batch: tag }, `${tag}-orders.parquet`);
      ids.push(wanted, await submit({ batch: `${tag}-other` }, `${tag}-refunds.parquet`));
      const page = await newPage();
      await signIn(page, dashboard.stack.keys.reader, '/ui/jobs');
      await row(page, ids[1]!).waitFor();
      await page.getByLabel('Labels').fill(`batch=${tag}`);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/label=batch%3D/);
      await row(page, ids[1]!).waitFor({ state: 'detached' });
      expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')))).toEqual([wanted]);
      // The label filter cleared, a search on the file name's start finds the same job alone.
      await page.getByLabel('Labels').fill('');
      await page.getByLabel('Search').fill(`${tag}-ord`);
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL((url) => url.searchParams.get('q') === `${tag}-ord` && !url.searchParams.has('label'));
      await row(page, wanted).waitFor();
      // Clearing the Labels field read the whole list on its own (its change event) before Apply:
      // the search's answer replaces it, whichever of the two comes back last.
      await page.locator('tbody tr').nth(1).waitFor({ state: 'detached' });
      expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')))).toEqual([wanted]);
      await checkPage(page, 'jobs-search');
    } finally {
      for (const id of ids) await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/resume', { params: { path: { name: 'jobs' } } }));
    }
  });
});

describe('a job page', () => {
  it('follows the driver log live, and cancel (after a confirmation) stops the running run', async () => {
    const id = await dashboard.stack.submit({ seconds: 120 });
    await waitFor('the job to run', async () => ((await jobState(id)) === 'running' ? true : undefined), 90_000, 250);
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.writer, `/ui/jobs/${id}`);
    await page.getByTestId('driver-log').filter({ hasText: `stand-in run job=${id}` }).waitFor({ timeout: 30_000 });
    expect(await page.getByText('following live').count()).toBe(1);
    // A line the driver writes now (appended to its log as spark-submit's output is) shows up without a reload.
    const run = (await dashboard.stack.api.job(id)).run!;
    await appendFile(join(dashboard.stack.env.runsDir, run.runId, 'driver.log'), `INFO DAGScheduler: stage 7 of job ${id} finished\n`);
    await page.getByTestId('driver-log').filter({ hasText: `stage 7 of job ${id} finished` }).waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { name: 'Attempt 1' }).waitFor();
    await checkPage(page, 'job');

    await page.getByRole('button', { name: 'Cancel job…' }).click();
    // Nothing happens before the confirmation.
    expect(await jobState(id)).toBe('running');
    await page.getByRole('button', { name: 'Yes, cancel the job' }).click();
    await page.getByTestId('job-state').filter({ hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
    expect(await jobState(id)).toBe('cancelled');
    await waitFor(
      'the Spark run to stop',
      async () => {
        const status = await dashboard.stack.worker.launchers.forHandle(run).status(run);
        return status.phase === 'running' || status.phase === 'pending' ? undefined : status.phase;
      },
      30_000,
      250,
    );
    expect(await page.getByRole('button', { name: 'Cancel job…' }).count()).toBe(0);
  });

  it('follows the driver log again when the follow ends while the run lives, and says so meanwhile', async () => {
    const id = await dashboard.stack.submit({ seconds: 120 });
    await waitFor('the job to run', async () => ((await jobState(id)) === 'running' ? true : undefined), 90_000, 250);
    let apiStopped = false;
    try {
      const page = await newPage();
      await signIn(page, dashboard.stack.keys.reader, `/ui/jobs/${id}`);
      const log = page.getByTestId('driver-log');
      await log.filter({ hasText: `stand-in run job=${id}` }).waitFor({ timeout: 30_000 });
      await page.getByText('following live').waitFor();
      // The API goes away under the follow (a restart; on Kubernetes, a pod log that ends early is the same).
      await dashboard.stack.stopApi();
      apiStopped = true;
      await page.getByText('following live').waitFor({ state: 'detached', timeout: 10_000 });
      expect(await page.getByText('not connected: following again shortly').count()).toBe(1);
      await dashboard.stack.startApi();
      apiStopped = false;
      await page.getByText('following live').waitFor({ timeout: 30_000 });
      // A line written now reaches the page through the new follow, and the old lines are not shown twice.
      const run = (await dashboard.stack.api.job(id)).run!;
      await appendFile(join(dashboard.stack.env.runsDir, run.runId, 'driver.log'), `INFO after the restart, job ${id}\n`);
      await log.filter({ hasText: `after the restart, job ${id}` }).waitFor({ timeout: 15_000 });
      expect((await log.textContent())!.split(`stand-in run job=${id}`)).toHaveLength(2);
    } finally {
      if (apiStopped) await dashboard.stack.startApi();
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
    }
  });

  it('keeps only the last megabyte of a long followed log, and says the start was cut', async () => {
    const id = await dashboard.stack.submit({ seconds: 120 });
    await waitFor('the job to run', async () => ((await jobState(id)) === 'running' ? true : undefined), 90_000, 250);
    try {
      const page = await newPage();
      await signIn(page, dashboard.stack.keys.reader, `/ui/jobs/${id}`);
      const log = page.getByTestId('driver-log');
      await log.filter({ hasText: `stand-in run job=${id}` }).waitFor({ timeout: 30_000 });
      const run = (await dashboard.stack.api.job(id)).run!;
      const filler = Array.from({ length: 15_000 }, (_, i) => `INFO TaskSetManager: finished task ${i} of a long stage, padding the line out to about a hundred\n`).join('');
      await appendFile(join(dashboard.stack.env.runsDir, run.runId, 'driver.log'), `${filler}INFO the last line of job ${id}\n`);
      await log.filter({ hasText: `the last line of job ${id}` }).waitFor({ timeout: 30_000 });
      await page.getByTestId('log-cut').waitFor();
      const shown = (await log.textContent())!;
      expect(shown.length).toBeLessThanOrEqual(1_000_000);
      expect(shown).not.toContain(`stand-in run job=${id}`);
      expect(shown.startsWith('INFO TaskSetManager')).toBe(true);
    } finally {
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
    }
  });

  it('shows an empty driver log of a finished run as empty, not as an error', async () => {
    const id = await dashboard.stack.submit({ seconds: 0 });
    await waitFor('the job to succeed', async () => ((await jobState(id)) === 'succeeded' ? true : undefined), 90_000, 250);
    const run = (await dashboard.stack.api.job(id)).run!;
    await writeFile(join(dashboard.stack.env.runsDir, run.runId, 'driver.log'), '');
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, `/ui/jobs/${id}`);
    await page.getByTestId('driver-log').filter({ hasText: '(empty)' }).waitFor();
    expect(await page.getByText('The driver log cannot be read').count()).toBe(0);
  });

  it('shows a failure in words and retries the failed job', async () => {
    const id = await dashboard.stack.submit({ exit: 3 });
    await waitFor('the job to fail', async () => ((await jobState(id)) === 'failed' ? true : undefined), 90_000, 250);
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.writer, `/ui/jobs/${id}`);
    await page.getByRole('heading', { name: 'Why it failed' }).waitFor();
    expect(await page.getByTestId('failure-message').textContent()).toContain('stand-in failure');
    await checkPage(page, 'job-failed');

    await page.getByRole('button', { name: 'Retry job' }).click();
    await waitFor('a second attempt', async () => ((await dashboard.stack.api.job(id)).attempt === 2 ? true : undefined), 30_000, 200);
    await page.getByRole('heading', { name: 'Attempt 2' }).waitFor({ timeout: 30_000 });
  });

  it('copy curl gives a command that submits the same job', async () => {
    const id = await dashboard.stack.submit({ seconds: 0 });
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, `/ui/jobs/${id}`);
    await page.getByText('curl command that submits this job again').click();
    const command = (await page.locator('pre.command').textContent()) ?? '';
    expect(command).toContain(`${dashboard.stack.url}/v1/jobs`);
    const body = JSON.parse(/-d '(.*)'$/s.exec(command)![1]!.replace(/'\\''/g, "'")) as { pipeline: string; parameters: object };
    expect(body).toMatchObject({ pipeline: 'stand-in', parameters: { seconds: 0 } });
  });
});

describe('pipelines', () => {
  it('lists the pipelines; a pipeline page shows its definition as loaded, and Run now submits a job from a form made of its parameters', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.writer, '/ui/pipelines');
    await page.getByRole('heading', { name: 'Pipelines' }).waitFor();
    await checkPage(page, 'pipelines');
    await page.getByRole('link', { name: PIPELINE, exact: true }).click();
    await page.getByRole('heading', { name: `Pipeline ${PIPELINE}` }).waitFor();
    // As loaded: what the pipeline says (max_attempts 1) and the defaults it left out (the launcher).
    const definition = await page.getByLabel(`Definition of ${PIPELINE}`).textContent();
    expect(definition).toContain(`name: ${PIPELINE}`);
    expect(definition).toMatch(/max_attempts: 1/);
    expect(definition).toMatch(/launcher: local/);
    // One field per declared parameter, typed, with its default.
    expect(await page.getByLabel(/^seconds/).inputValue()).toBe('0');
    expect(await page.getByLabel(/^exit/).getAttribute('type')).toBe('number');
    await checkPage(page, 'pipeline');

    await page.getByLabel(/^seconds/).fill('1');
    await page.getByLabel(/^Inputs/).fill('none.parquet');
    await page.getByRole('button', { name: `Run ${PIPELINE} now` }).click();
    await page.waitForURL(/\/ui\/jobs\/[^/]+$/);
    const id = decodeURIComponent(page.url().split('/').pop()!);
    const job = await dashboard.stack.api.job(id);
    expect(job).toMatchObject({ pipeline: PIPELINE, parameters: { seconds: 1, exit: 0 }, labels: { trigger: 'dashboard' } });
    await waitFor('the job run from the page to succeed', async () => ((await jobState(id)) === 'succeeded' ? true : undefined), 90_000, 250);
  });

  it("a scheduled pipeline's page shows its cron, time zone and next three run times", async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, `/ui/pipelines/${NIGHTLY}`);
    await page.getByRole('heading', { name: 'Next runs' }).waitFor();
    expect(await page.locator('section[aria-labelledby="schedule"] p').first().textContent()).toMatch(/^0 3 \* \* \* in Europe\/Zurich/);
    const times = await page.locator('section[aria-labelledby="schedule"] time').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('datetime')));
    expect(times).toHaveLength(3);
    // 03:00 in Zurich is 01:00 or 02:00 UTC, a day apart.
    for (const time of times) expect(time).toMatch(/T0[12]:00:00\.000Z$/);
    expect(Date.parse(times[1]!) - Date.parse(times[0]!)).toBeGreaterThanOrEqual(23 * 3_600_000);
    await checkPage(page, 'pipeline-schedule');
  });

  it('a read-only key sees the pipeline but no Run now form', async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, `/ui/pipelines/${PIPELINE}`);
    await page.getByRole('heading', { name: 'Recent jobs' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Run now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /now$/ }).count()).toBe(0);
  });
});

describe('what a session may not do', () => {
  it('a read-only key sees no actions, and a POST forged with its session is refused', async () => {
    const id = await dashboard.stack.submit({ seconds: 60 });
    await waitFor('the job to run', async () => ((await jobState(id)) === 'running' ? true : undefined), 90_000, 250);
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader, `/ui/jobs/${id}`);
    await page.getByTestId('job-state').waitFor();
    expect(await page.getByRole('button', { name: /Cancel|Retry/ }).count()).toBe(0);
    await page.goto(`${dashboard.stack.url}/ui/`);
    await page.getByTestId('queue-state').waitFor();
    expect(await page.getByRole('button', { name: /Pause|Resume/ }).count()).toBe(0);

    // The same request the button would send, from the page itself (same origin, the cookie goes along).
    const status = await page.evaluate(async (job) => (await fetch(`/v1/jobs/${job}/cancel`, { method: 'POST' })).status, id);
    expect(status).toBe(403);
    expect(await jobState(id)).toBe('running');
    await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
  });

  it('a POST with a valid session but another Origin is refused with 403, and nothing changes', async () => {
    const id = await dashboard.stack.submit({ seconds: 60 });
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.admin);
    const cookie = `${SESSION_COOKIE}=${await sessionCookie(page)}`;
    const post = (path: string, headers: Record<string, string>) => fetch(`${dashboard.stack.url}${path}`, { method: 'POST', headers: { Cookie: cookie, ...headers } });

    const forged: Array<Record<string, string>> = [{ Origin: 'http://evil.example' }, { Origin: 'null' }, {}, { 'Sec-Fetch-Site': 'cross-site' }];
    for (const headers of forged) {
      const cancel = await post(`/v1/jobs/${id}/cancel`, headers);
      expect(cancel.status).toBe(403);
      expect(cancel.headers.get('content-type')).toBe('application/problem+json');
      expect(((await cancel.json()) as { type: string }).type).toBe('urn:sluice:problem:cross-origin');
      expect((await post('/v1/queues/sluice/pause', headers)).status).toBe(403);
    }
    expect(await jobState(id)).not.toBe('cancelled');
    expect((await dashboard.stack.api.data(dashboard.stack.api.api.GET('/v1/queues'))).items[0]!.paused).toBe(false);
    // The same session from its own origin is accepted: the refusal was the origin's.
    const own = await post(`/v1/jobs/${id}/cancel`, { Origin: dashboard.stack.url });
    expect(own.status).toBe(202);
  });

  it('an expired session goes back to sign-in, and the action is not performed', async () => {
    const id = await dashboard.stack.submit({ seconds: 60 });
    await waitFor('the job to run', async () => ((await jobState(id)) === 'running' ? true : undefined), 90_000, 250);
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.admin, `/ui/jobs/${id}`);
    // The page has settled (its feed is live, its re-reads done) before the click, as it has by
    // the time a person acts, and the confirmation is there before the session ends: in a busy
    // make test, a click at the page's first sight of the job once left no confirmation to click.
    await feedIs(page, 'live');
    await page.getByRole('button', { name: 'Cancel job…' }).click();
    await page.getByRole('button', { name: 'Yes, cancel the job' }).waitFor();
    // The page's own re-reads (the job on its events, the notifications every few seconds) would
    // meet the ended session first and sign out before the click; they are refused here, so the
    // first call to meet it is the action's.
    await page.route('**/v1/**', (route) => (route.request().method() === 'GET' ? route.abort() : route.fallback()));
    // The session's time runs out in Redis, as it does after SLUICE_UI_SESSION_TTL.
    const sessions = await dashboard.stack.redis.keys('sluice:ui:session:*');
    expect(sessions.length).toBeGreaterThan(0);
    for (const key of sessions) await dashboard.stack.redis.pexpire(key, 1);
    await waitFor('the sessions to expire', async () => ((await dashboard.stack.redis.exists(...sessions)) === 0 ? true : undefined), 5_000, 20);

    await page.getByRole('button', { name: 'Yes, cancel the job' }).click();
    await page.getByRole('heading', { name: 'Sign in to Sluice' }).waitFor();
    expect(await page.getByText('Your session has ended').count()).toBe(1);
    expect(await jobState(id)).toBe('running');
    await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
  });
});

describe('the overview, beyond the counts', () => {
  it("shows each pipeline's runs in the last 24 hours as jobs finish, and the oldest queued job", async () => {
    const page = await newPage();
    await signIn(page, dashboard.stack.keys.reader);
    const runsRow = page.locator(`[data-testid="pipeline-runs"] tr[data-pipeline="${PIPELINE}"]`);
    await runsRow.waitFor();
    await feedIs(page, 'live');
    const countOf = async (which: 'succeeded' | 'failed') => Number(await runsRow.getByTestId(`runs-${which}`).textContent());
    const before = { succeeded: await countOf('succeeded'), failed: await countOf('failed') };
    // Each pipeline loaded has a row, with a trend of 24 hours in words for those who cannot see the bars.
    await page.locator(`[data-testid="pipeline-runs"] tr[data-pipeline="${NIGHTLY}"]`).waitFor();
    expect(await runsRow.getByRole('img').count()).toBe(1);

    const ok = await dashboard.stack.submit({ seconds: 0 });
    const bad = await dashboard.stack.submit({ exit: 3 });
    await waitFor('both jobs to finish', async () => ((await jobState(ok)) === 'succeeded' && (await jobState(bad)) === 'failed' ? true : undefined), 90_000, 250);
    // Without a reload: the live feed's final events re-read the runs.
    await expect.poll(() => countOf('succeeded'), { timeout: 30_000 }).toBe(before.succeeded + 1);
    await expect.poll(() => countOf('failed'), { timeout: 30_000 }).toBe(before.failed + 1);
    expect(await runsRow.locator('td').nth(2).textContent()).not.toBe('–');
    expect(await runsRow.getByRole('img').getAttribute('aria-label')).toMatch(/succeeded, \d+ failed/);
    await checkPage(page, 'overview-runs');

    // With the queue paused a submitted job stays queued: the overview names the oldest queued job and links to it.
    const queue = (await dashboard.stack.api.data(dashboard.stack.api.api.GET('/v1/queues'))).items[0]!.name;
    await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/pause', { params: { path: { name: queue } } }));
    try {
      const waiting = await dashboard.stack.submit({ seconds: 0 });
      const oldest = (await dashboard.stack.api.data(dashboard.stack.api.api.GET('/v1/jobs', { params: { query: { state: 'queued', order: 'oldest', limit: 1 } } }))).items[0]!;
      expect(oldest.id <= waiting).toBe(true);
      const line = page.getByTestId('oldest-queued');
      await line.getByRole('link', { name: oldest.id }).waitFor({ timeout: 30_000 });
      expect(await line.textContent()).toMatch(new RegExp(`of ${oldest.pipeline}, waiting \\d`));
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/jobs/{id}/cancel', { params: { path: { id: waiting } } }));
    } finally {
      await dashboard.stack.api.data(dashboard.stack.api.api.POST('/v1/queues/{name}/resume', { params: { path: { name: queue } } }));
    }
  });
});
