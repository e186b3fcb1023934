// Cancel, retry and logs through the API, against real Redis and BullMQ.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transition } from '../../broker/core/state-machine.ts';
import { type ApiContext, ApiTestServer, expectNoApiKeyLeaked, type JobBody, json, PROBLEM } from './api-fixture.ts';

let server: ApiTestServer;
let ctx: ApiContext;

beforeAll(async () => {
  server = await ApiTestServer.start();
  ctx = await server.context();
});

afterAll(async () => {
  await ctx?.close();
  await server?.stop();
});

async function submit(): Promise<JobBody> {
  const response = await ctx.call('/v1/jobs', json({ pipeline: 'sales', inputs: ['sales'] }));
  expect(response.status).toBe(201);
  return (await response.json()) as JobBody;
}

async function problemOf(response: Response, status: number): Promise<{ type: string; detail: string }> {
  expect(response.status).toBe(status);
  expect(response.headers.get('Content-Type')).toBe(PROBLEM);
  return (await response.json()) as { type: string; detail: string };
}

/** Moves a job along as a worker would, through the store's compare-and-set. */
async function advance(id: string, ...states: ('launching' | 'running' | 'succeeded' | 'cancelled')[]): Promise<void> {
  for (const state of states) {
    await ctx.store.update(id, (job) =>
      transition(job, state, new Date(), 'test', state === 'running' ? { run: { launcher: 'test-file', runId: `${id}-1`, attempt: 1, startedAt: new Date().toISOString() } } : {}),
    );
  }
}

describe('cancel and retry', () => {
  it('cancels a queued job at once and takes it out of the queue; retry queues attempt 2', async () => {
    const job = await submit();
    expect(await ctx.queue.has(job.id)).toBe(true);

    const cancelled = await ctx.call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: ctx.keys.writer });
    expect(cancelled.status).toBe(202);
    const afterCancel = (await cancelled.json()) as JobBody;
    expect(afterCancel.state).toBe('cancelled');
    expect(afterCancel.failure?.class).toBe('cancelled');
    expect(await ctx.queue.has(job.id)).toBe(false);

    const again = await problemOf(await ctx.call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: ctx.keys.writer }), 409);
    expect(again.type).toBe('urn:sluice:problem:job-finished');

    const retried = await ctx.call(`/v1/jobs/${job.id}/retry`, { method: 'POST', key: ctx.keys.writer });
    expect(retried.status).toBe(202);
    const afterRetry = (await retried.json()) as JobBody;
    expect(afterRetry).toMatchObject({ id: job.id, state: 'queued', attempt: 2 });
    expect(afterRetry.failure).toBeUndefined();
    expect(await ctx.queue.has(job.id)).toBe(true);

    const shown = (await (await ctx.call(`/v1/jobs/${job.id}`, { key: ctx.keys.reader })).json()) as JobBody;
    expect(shown.stage).toBe('queue');
    expect(shown.history.map((change) => change.state)).toEqual(['queued', 'cancelled', 'queued']);
    // Who did each, by the key's name (never the key).
    expect(shown.history.slice(1).map((change) => change.reason)).toEqual(['cancelled by API key "airflow"', 'retried by API key "airflow"']);
  });

  it('marks a running job for cancel (202, cancelRequested) and says so until the worker has stopped it', async () => {
    const job = await submit();
    await ctx.queue.removeIfIdle(job.id);
    await advance(job.id, 'launching', 'running');
    const marked = await ctx.call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: ctx.keys.writer });
    expect(marked.status).toBe(202);
    expect((await marked.json()) as JobBody).toMatchObject({ state: 'running', cancelRequested: true });
    expect((await (await ctx.call(`/v1/jobs/${job.id}`)).json()) as JobBody).toMatchObject({ state: 'running', cancelRequested: true });
    await advance(job.id, 'cancelled');
    expect((await (await ctx.call(`/v1/jobs/${job.id}`)).json()) as JobBody).not.toHaveProperty('cancelRequested');
  });

  it('refuses to cancel a finished job (409) and to retry a queued one (409)', async () => {
    const job = await submit();
    await ctx.queue.removeIfIdle(job.id);
    await advance(job.id, 'launching', 'running', 'succeeded');
    const shown = (await (await ctx.call(`/v1/jobs/${job.id}`)).json()) as JobBody;
    expect(shown).toMatchObject({ state: 'succeeded', stage: 'done' });
    await problemOf(await ctx.call(`/v1/jobs/${job.id}/cancel`, { method: 'POST' }), 409);

    const queued = await submit();
    const refused = await problemOf(await ctx.call(`/v1/jobs/${queued.id}/retry`, { method: 'POST' }), 409);
    expect(refused.type).toBe('urn:sluice:problem:job-not-retryable');
  });

  it('answers 404 for an unknown job and 403 for a read-only key', async () => {
    await problemOf(await ctx.call('/v1/jobs/j0000000000000000/cancel', { method: 'POST' }), 404);
    await problemOf(await ctx.call('/v1/jobs/j0000000000000000/retry', { method: 'POST' }), 404);
    const job = await submit();
    await problemOf(await ctx.call(`/v1/jobs/${job.id}/cancel`, { method: 'POST', key: ctx.keys.reader }), 403);
    await problemOf(await ctx.call(`/v1/jobs/${job.id}/retry`, { method: 'POST', key: ctx.keys.reader }), 403);
    expect(((await (await ctx.call(`/v1/jobs/${job.id}`)).json()) as JobBody).state).toBe('queued');
  });
});

describe('GET /v1/jobs/{id}/logs', () => {
  it('answers 404 with a clear detail while the job has no run', async () => {
    const job = await submit();
    const problem = await problemOf(await ctx.call(`/v1/jobs/${job.id}/logs`, { key: ctx.keys.reader }), 404);
    expect(problem.type).toBe('urn:sluice:problem:no-run');
    expect(problem.detail).toContain('has no Spark run yet');
  });

  it('sends the last `tail` lines as text/plain', async () => {
    const job = await submit();
    await advance(job.id, 'launching', 'running');
    await ctx.launcher.writeLog(`${job.id}-1`, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    const response = await ctx.call(`/v1/jobs/${job.id}/logs?tail=2`, { key: ctx.keys.reader });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('line 4\nline 5\n');

    const all = await ctx.call(`/v1/jobs/${job.id}/logs`, { key: ctx.keys.reader });
    expect(await all.text()).toBe('line 1\nline 2\nline 3\nline 4\nline 5\n');

    const bad = await ctx.call(`/v1/jobs/${job.id}/logs?tail=0&follow=maybe`, { key: ctx.keys.reader });
    expect(bad.status).toBe(422);
    const body = (await bad.json()) as { errors: { path: string }[] };
    expect(body.errors.map((error) => error.path).sort()).toEqual(['follow', 'tail']);
  });

  it('follows the log as it grows and stops when the client goes away', async () => {
    const job = await submit();
    await advance(job.id, 'launching', 'running');
    await ctx.launcher.writeLog(`${job.id}-1`, 'starting\n');
    const before = ctx.launcher.followsAborted;
    const response = await ctx.call(`/v1/jobs/${job.id}/logs?follow=true&tail=10`, { key: ctx.keys.reader });
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/plain/);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const readUntil = async (text: string) => {
      const deadline = Date.now() + 5_000;
      while (!received.includes(text) && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        received += decoder.decode(value, { stream: true });
      }
      expect(received).toContain(text);
    };
    await readUntil('starting\n');
    await ctx.launcher.writeLog(`${job.id}-1`, 'stage 1 done\n');
    await readUntil('stage 1 done\n');
    await reader.cancel();
    const deadline = Date.now() + 5_000;
    while (ctx.launcher.followsAborted === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ctx.launcher.followsAborted).toBe(before + 1);
  });

  it('answers a generic 500 problem when the launcher fails unexpectedly, and logs it with the request id', async () => {
    const job = await submit();
    await advance(job.id, 'launching', 'running');
    ctx.launcher.failWith = new Error('kubeconfig token=s3cr3t-internal could not be read');
    try {
      const response = await ctx.call(`/v1/jobs/${job.id}/logs`, { key: ctx.keys.reader, headers: { 'X-Request-Id': 'req-500' } });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(response.headers.get('Content-Type')).toBe(PROBLEM);
      expect(text).not.toContain('s3cr3t');
      expect(JSON.parse(text)).toMatchObject({ type: 'urn:sluice:problem:internal', requestId: 'req-500', status: 500 });
      expect(ctx.logLines.some((line) => line.includes('"requestId":"req-500"') && line.includes('"msg":"request failed"'))).toBe(true);
    } finally {
      ctx.launcher.failWith = undefined;
    }
  });
});

describe('secrets', () => {
  it('never puts an API key in a response or a log line', () => {
    expectNoApiKeyLeaked(ctx, { bodies: 10, logLines: 10 });
  });
});
