// A quarantined landing re-admitted once fixed runs like any landing: a corrupt file is
// quarantined at the door, the operator replaces it in the quarantine folder with a good one
// and re-admits it through the API, and the watcher batches it at once (no rescan) into a job
// that succeeds — one job, one landing, the re-admission on its record. Real Redis, real
// folders, the real watcher and local launcher with the stand-in app; production defaults
// (quiet 2 s, rescan 5 min, max_wait 30 s).
//
// The API is put together from the running Sluice's parts as broker/sluice.ts does, plus the
// landing files the re-admit route moves (until the composition root passes them itself).
import { access, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApi } from '../../broker/api/app.ts';
import { formatApiKeyEntry, newApiKey } from '../../broker/api/api-keys.ts';
import { isFinal, type Job } from '../../broker/core/job.ts';
import { EventHub } from '../../broker/events/event-hub.ts';
import { EventStream } from '../../broker/events/event-stream.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { LandingFiles } from '../../watchers/landing-files.ts';
import type { LandingRecord } from '../../watchers/landing-ledger.ts';
import { parquetBytes } from '../harness/parquet-bytes.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';
import { waitFor } from '../harness/wait-for.ts';

let env: SluiceEnv;
let sluice: RunningSluice;
let folder: string;
let quarantine: string;
let archive: string;
let redis: Redis;
let hub: EventHub;
let app: ReturnType<typeof createApi>;
const key = newApiKey();

beforeAll(async () => {
  env = await createSluiceEnv({ SLUICE_SPARK_APPS_DIR: await standInAppsDir(), SLUICE_AWAIT_POLL: '500ms' });
  folder = join(env.landing, 'fixable');
  quarantine = join(env.dir, 'quarantine');
  archive = join(env.dir, 'archive');
  await mkdir(folder, { recursive: true });
  const config = env.config({ SLUICE_API_KEYS: formatApiKeyEntry('ops', ['jobs:read', 'jobs:write'], key) });
  const pipelines = pipelineRegistry([standInPipeline('fixable', {}, { sources: [{ kind: 'fs', path: folder }], after: { on_success: 'archive', archive, quarantine } })]);
  sluice = await startSluice(config, { api: false, worker: true, watch: true }, { pipelines });
  redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  const events = redisKeys(config.SLUICE_QUEUE_PREFIX).events;
  hub = new EventHub({ redis: new Redis(env.redis.url, { lazyConnect: true }), key: events, logger: sluice.logger });
  app = createApi({
    jobs: sluice.jobs,
    pipelines,
    queues: sluice.queue,
    launchers: sluice.launchers,
    apiKeys: config.SLUICE_API_KEYS,
    metrics: sluice.metrics,
    ready: async () => ({ ok: true, checks: { redis: 'ok' } }),
    bodyLimitBytes: config.SLUICE_BODY_LIMIT,
    logger: sluice.logger,
    landings: sluice.landings,
    landingFiles: new LandingFiles(new S3Client({ region: 'us-east-1' })),
    events: { stream: new EventStream(redis, events), hub },
  });
}, 120_000);

afterAll(async () => {
  await hub?.close();
  await sluice?.close();
  redis?.disconnect();
  await env?.close();
});

const exists = (path: string) => access(path).then(() => true, () => false);
const jobsOf = async (): Promise<Job[]> => (await sluice.jobs.list({ pipeline: 'fixable', limit: 50 })).items;
const landingsAt = async (path: string): Promise<LandingRecord[]> => (await sluice.landings.list({ limit: 50, path })).items;

it('a corrupt file quarantined at the door, fixed and re-admitted, runs in a job that succeeds, once', async () => {
  // A finished file (PAR1 at its end) whose footer is garbage; one without would wait for its writer.
  const footerLength = Buffer.alloc(4);
  footerLength.writeUInt32LE(100);
  await writeFile(join(folder, 'meter.parquet'), Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(4096, 7), footerLength, Buffer.from('PAR1')]));
  const [bad] = await waitFor('the corrupt file quarantined at the door', async () => {
    const found = await landingsAt('meter.parquet');
    return found.length === 1 && found[0]!.state === 'quarantined' ? found : undefined;
  }, 30_000);
  expect(bad!.reason).toContain('not a readable Parquet file');
  const held = join(quarantine, 'meter.parquet');
  expect(await exists(held)).toBe(true);
  expect(await jobsOf()).toEqual([]);

  // The operator replaces it, in the quarantine folder, by a good file; then re-admits it.
  await writeFile(held, (await parquetBytes({ rows: 4 }))[0]!);
  const readmittedAt = Date.now();
  const response = await app.request(`/v1/landings/${bad!.fingerprint}/readmit`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ state: 'ready', readmittedBy: 'API key "ops"' });
  expect(await readdir(quarantine)).toEqual([]);

  // Batched at once and closed by max_wait: a job within max_wait, not after a 5-minute rescan.
  const maxWait = sluice.pipelines.get('fixable')!.batch.max_wait;
  const [job] = await waitFor('a job for the re-admitted file', async () => {
    const jobs = await jobsOf();
    return jobs.length > 0 ? jobs : undefined;
  }, maxWait + 15_000);
  expect(job!.inputs).toEqual([join(folder, 'meter.parquet')]);
  expect(Date.parse(job!.createdAt) - readmittedAt).toBeLessThanOrEqual(maxWait + 2_000);
  const done = await waitFor('the job to finish', async () => {
    const current = await sluice.jobs.get(job!.id);
    return isFinal(current.state) ? current : undefined;
  }, 90_000);
  expect(done.state).toBe('succeeded');

  const [landing] = await waitFor('the landing done', async () => {
    const found = await landingsAt('meter.parquet');
    return found[0]?.state === 'done' ? found : undefined;
  }, 30_000);
  expect(landing).toMatchObject({ fingerprint: bad!.fingerprint, jobId: job!.id, readmittedBy: 'API key "ops"' });
  expect(await exists(join(archive, 'meter.parquet'))).toBe(true);

  // The watcher saw the file come back as this landing, not as a new one: still one landing, one job.
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  expect(await landingsAt('meter.parquet')).toHaveLength(1);
  expect(await jobsOf()).toHaveLength(1);
}, 180_000);
