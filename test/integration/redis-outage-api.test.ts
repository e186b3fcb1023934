// The API during a Redis outage, with a real redis-server that the test stops, freezes and
// restarts on the same port: /readyz says 503 within 2 s, a submit answers 503 problem+json
// with Retry-After instead of hanging, and once Redis is back no job exists for a refused
// request. The worker's side (the patient connection) still waits the outage out.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { createSluiceEnv, placeholderReadings, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let sluice: RunningSluice;
let base: string;

beforeAll(async () => {
  env = await createSluiceEnv();
  await placeholderReadings(env);
  // The API role alone: nothing launches Spark, and every request goes through the API's connection.
  sluice = await startSluice(env.config(), { api: true, worker: false });
  base = `http://127.0.0.1:${sluice.port}`;
}, 60_000);

afterAll(async () => {
  await sluice?.close();
  await env?.close();
});

type Timed = { status: number; ms: number; headers: Headers; body: Record<string, unknown> };

async function timed(path: string, init: RequestInit = {}): Promise<Timed> {
  const started = performance.now();
  // The client's own patience: far beyond the bounds asserted, so a hang shows as a long time, not an abort.
  const response = await fetch(`${base}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${env.apiKey}`, 'Content-Type': 'application/json', ...init.headers },
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, ms: performance.now() - started, headers: response.headers, body };
}

const submit = (labels: Record<string, string>, headers: Record<string, string> = {}) =>
  timed('/v1/jobs', { method: 'POST', body: JSON.stringify({ pipeline: 'meter-daily', labels }), headers });

const allJobs = async (): Promise<Job[]> => {
  const page = await timed('/v1/jobs?limit=200');
  expect(page.status).toBe(200);
  return page.body.items as Job[];
};

function expectRedisUnavailable(answer: Timed): void {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('Content-Type')).toBe('application/problem+json');
  expect(answer.headers.get('Retry-After')).toBe('2');
  expect(answer.body).toMatchObject({ type: 'urn:sluice:problem:redis-unavailable', status: 503 });
}

describe('Redis stopped', () => {
  it('answers /readyz and every request path with 503 at once, creates no job, and recovers when Redis returns', async () => {
    const before = await submit({ probe: 'before' });
    expect(before.status).toBe(201);
    expect((await timed('/readyz')).status).toBe(200);

    await env.redis.stop();
    // The worker side's connection waits the outage out: this read is answered once Redis is back.
    const patientRead = sluice.store.get(before.body.id as string);

    const ready = await timed('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not-ready', checks: { redis: 'unreachable' } });
    expect(ready.ms).toBeLessThan(2_000);

    const refused = await submit({ probe: 'refused' });
    expectRedisUnavailable(refused);
    expect(refused.ms).toBeLessThan(2_000);
    // Never sent: the answer may say so, and the job list below shows it is true.
    expect(refused.body.detail).toMatch(/cannot be reached; the request was not carried out/);
    const refusedWithKey = await submit({ probe: 'refused-with-key' }, { 'Idempotency-Key': 'outage-1' });
    expectRedisUnavailable(refusedWithKey);

    for (const path of ['/v1/jobs', `/v1/jobs/${before.body.id as string}`, '/v1/queues', '/v1/landings']) {
      const answer = await timed(path);
      expectRedisUnavailable(answer);
      expect(answer.ms, path).toBeLessThan(2_000);
    }
    const cancel = await timed(`/v1/jobs/${before.body.id as string}/cancel`, { method: 'POST' });
    expectRedisUnavailable(cancel);

    // Down for longer than any timeout, as in the 25 s outage that was seen (shortened: the point
    // is that nothing sent during the outage is held and replayed after it).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await env.redis.restart();
    await waitFor('the API to be ready again', async () => ((await timed('/readyz')).status === 200 ? true : undefined), 15_000, 100);

    expect(await patientRead).toMatchObject({ id: before.body.id, state: 'queued' });
    // Give a held command every chance to arrive before looking.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const jobs = await allJobs();
    expect(jobs.map((job) => job.labels.probe)).toEqual(['before']);
    expect(Object.values(await sluice.store.countByState()).reduce((a, b) => a + b, 0)).toBe(1);
    expect(await sluice.queue.has(before.body.id as string)).toBe(true);

    // The refused keyed request was never recorded: sending it again creates the job (201, not a replay).
    const again = await submit({ probe: 'refused-with-key' }, { 'Idempotency-Key': 'outage-1' });
    expect(again.status).toBe(201);
    expect(await sluice.queue.has(again.body.id as string)).toBe(true);
  }, 60_000);
});

describe('Redis frozen (accepts connections, answers nothing)', () => {
  it('answers /readyz with 503 within 2 s, reads with 503 within their timeout, and a submit it could not confirm as "may or may not" (it was made after all)', async () => {
    const pid = Number(/process_id:(\d+)/.exec(execFileSync('redis-cli', ['-p', String(env.redis.port), 'info', 'server'], { encoding: 'utf8' }))![1]);
    process.kill(pid, 'SIGSTOP');
    let unconfirmed: Timed;
    try {
      const ready = await timed('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.ms).toBeLessThan(2_000);
      const list = await timed('/v1/jobs');
      expectRedisUnavailable(list);
      expect(list.ms).toBeLessThan(2_000);
      unconfirmed = await submit({ probe: 'frozen' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // The submit's write sat in Redis's socket and ran when it woke: "not carried out" would
    // have been false, and a client trusting it and sending again made a second job.
    expectRedisUnavailable(unconfirmed);
    expect(unconfirmed.body.detail).toMatch(/may or may not have been carried out.*same Idempotency-Key/);
    await waitFor('the API to be ready again', async () => ((await timed('/readyz')).status === 200 ? true : undefined), 15_000, 100);
    expect((await allJobs()).filter((job) => job.labels.probe === 'frozen')).toHaveLength(1);
  }, 30_000);
});
