// Metrics per process, with the roles run apart as `sluice api`, `sluice worker` and
// `sluice watch` would run them: separate Sluices on one real Redis, jobs run by the real
// local launcher through spark-submit with the stand-in app. Each process counts what it does
// itself, so the worker's own /metrics (SLUICE_METRICS_PORT) must show the stages it moved
// jobs through, its retries and its failures, while the API's still answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../broker/core/job.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { http, type Http } from '../harness/http.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';

let env: SluiceEnv;
let api: RunningSluice;
let worker: RunningSluice;
let client: Http;

// Two attempts, so that a platform failure is retried once and then fails the job.
const pipelines = pipelineRegistry([standInPipeline('metered', { max_attempts: 2 })]);
const TRACE = '0af7651916cd43dd8448eb211c80319c';

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  api = await startSluice(env.config(), { api: true, worker: false }, { pipelines });
  worker = await startSluice(env.config(), { api: false, worker: true }, { pipelines });
  client = http(`http://127.0.0.1:${api.port}`, env.apiKey);
});

afterAll(async () => {
  await worker?.close();
  await api?.close();
  await env?.close();
});

/** The value of one sample line, e.g. sample(text, 'sluice_job_failures_total{pipeline="metered",class="platform"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrapeWorker = async (): Promise<string> => {
  const response = await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
};

describe('metrics with the api and the worker in separate processes', () => {
  it('the worker serves its own /metrics with the stages it moved jobs through, its retries and failures; the api still answers', async () => {
    expect(worker.metricsPort).toBeGreaterThan(0);
    expect(api.metricsPort).toBeUndefined();

    const submit = async (parameters: Record<string, number>, headers: Record<string, string> = {}): Promise<Job> => {
      const response = await fetch(`http://127.0.0.1:${api.port}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.apiKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ pipeline: 'metered', parameters, inputs: ['none.parquet'] }),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as Job;
    };
    const good = await submit({}, { traceparent: `00-${TRACE}-b7ad6b7169203331-01` });
    // Exit code 3 is neither a user (64) nor a data (65) failure: platform, retried, then failed.
    const bad = await submit({ exit: 3 });
    const [goodDone, badDone] = await Promise.all([client.finished(good.id, 120_000), client.finished(bad.id, 120_000)]);
    expect(goodDone.state).toBe('succeeded');
    expect(badDone).toMatchObject({ state: 'failed', attempt: 2, failure: { class: 'platform' } });

    const text = await scrapeWorker();
    for (const stage of ['queued', 'launching', 'running']) {
      // Both jobs' attempts left each of these stages in the worker: three attempts in all.
      expect(sample(text, `sluice_stage_duration_seconds_count{stage="${stage}",pipeline="metered"}`), stage).toBe(3);
    }
    expect(sample(text, 'sluice_job_retries_total{pipeline="metered",class="platform",stage="running"}')).toBe(1);
    expect(sample(text, 'sluice_job_failures_total{pipeline="metered",class="platform"}')).toBe(1);
    expect(sample(text, 'sluice_process_roles{role="worker"}')).toBe(1);
    // Read from the shared Redis on scrape: the same in every process.
    expect(sample(text, 'sluice_jobs{state="succeeded"}')).toBe(1);
    expect(sample(text, 'sluice_jobs{state="failed"}')).toBe(1);

    // The API made no transition of its own: it counted the submits, not the stages.
    const apiResponse = await client.get('/metrics');
    expect(apiResponse.status).toBe(200);
    const apiText = await apiResponse.text();
    expect(sample(apiText, 'sluice_jobs_submitted_total{pipeline="metered",result="created"}')).toBe(2);
    expect(sample(apiText, 'sluice_stage_duration_seconds_count{stage="running",pipeline="metered"}')).toBeUndefined();
    expect(sample(apiText, 'sluice_jobs{state="succeeded"}')).toBe(1);
  });

  it('a job submitted with a traceparent carries its trace id; one without gets the request id; one submitted in-process gets a new one', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${api.port}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${env.apiKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ pipeline: 'metered', inputs: ['none.parquet'] }),
      });
    const traced = (await (await post({ traceparent: `00-${TRACE}-b7ad6b7169203331-01` })).json()) as Job;
    expect((await client.job(traced.id)).traceId).toBe(TRACE);
    // A malformed traceparent is ignored, never echoed: the request id stands in.
    const malformed = await post({ traceparent: '00-<script>-x-01', 'x-request-id': 'req-trace-1' });
    expect(malformed.status).toBe(201);
    const malformedBody = await malformed.text();
    expect(malformedBody).not.toContain('<script>');
    expect((JSON.parse(malformedBody) as Job).traceId).toBe('req-trace-1');
    // Landings and schedules submit in-process, with no request: a new W3C-shaped trace id.
    const { job: internal } = await worker.jobs.submit({ pipeline: 'metered', parameters: {}, inputs: ['none.parquet'], labels: {} });
    expect(internal.traceId).toMatch(/^[0-9a-f]{32}$/);
    await Promise.all([traced.id, (JSON.parse(malformedBody) as Job).id, internal.id].map((id) => client.finished(id, 120_000)));
  });
});

describe('metrics of a watcher process', () => {
  it('serves /metrics on its own port with the landings by state, and nothing else there', async () => {
    const watcher = await startSluice(env.config(), { api: false, worker: false, watch: true }, { pipelines });
    try {
      const response = await fetch(`http://127.0.0.1:${watcher.metricsPort}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(sample(text, 'sluice_landings{state="ready"}')).toBe(0);
      expect(sample(text, 'sluice_landings_quarantined_total')).toBe(0);
      expect(sample(text, 'sluice_process_roles{role="watch"}')).toBe(1);
      expect((await fetch(`http://127.0.0.1:${watcher.metricsPort}/v1/jobs`)).status).toBe(404);
    } finally {
      await watcher.close();
    }
  });

  it('refuses to start on a metrics port already in use, naming the setting', async () => {
    const taken = String(worker.metricsPort);
    await expect(startSluice(env.config({ SLUICE_METRICS_PORT: taken }), { api: false, worker: false, watch: true }, { pipelines })).rejects.toThrow(/SLUICE_METRICS_PORT/);
  });
});
