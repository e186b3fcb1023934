// A real Sluice for the dashboard's browser tests: a real redis-server, the worker with the
// real local launcher running the stand-in app (test/harness/stand-in-app.ts) through
// spark-submit, and the API with the dashboard, served over HTTP on a fixed port so that it
// can be stopped and started again under an open page (the live feed's fault test).
//
// The API is put together here as broker/sluice.ts puts it together (request-path Redis
// connection, event hub, createApi) plus `ui: dashboardDeps(...)`: the composition root does
// not pass the dashboard yet (the lead adds that one line). The worker is startSluice's own.
// The dashboard is built from the current sources into a temporary folder first, so the
// tests never run against a stale build.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { Redis } from 'ioredis';
import { build } from 'vite';
import { createApi } from '../../broker/api/app.ts';
import { formatApiKeyEntry, newApiKey } from '../../broker/api/api-keys.ts';
import { requestPathRedisOptions } from '../../broker/api/request-path-redis.ts';
import { SluiceClient } from '../../broker/cli/sluice-client.ts';
import { EventHub } from '../../broker/events/event-hub.ts';
import { EventStream } from '../../broker/events/event-stream.ts';
import { JobsService } from '../../broker/jobs/jobs-service.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import { BullJobQueue } from '../../broker/queue/bull-job-queue.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { queueBoard } from '../../broker/queue/queue-board.ts';
import { redisOptions, startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { dashboardDeps } from '../../broker/ui/dashboard-deps.ts';
import { LandingLedger } from '../../watchers/landing-ledger.ts';
import { LandingFiles } from '../../watchers/landing-files.ts';
import { S3Client } from '@aws-sdk/client-s3';
import type { Pipeline } from '../../broker/core/pipeline.ts';
import { freePort } from '../harness/free-port.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';

export const PIPELINE = 'stand-in';

/** admin: everything; reader: jobs:read only; writer: jobs:read + jobs:write. */
export type StackKeys = { admin: string; reader: string; writer: string };

export type DashboardStack = {
  url: string;
  keys: StackKeys;
  env: SluiceEnv;
  worker: RunningSluice;
  /** The API through the generated client, with the admin key (what "elsewhere" submits with). */
  api: SluiceClient;
  /** A job of the stand-in pipeline: `seconds` asleep, then exit `exit` (non-zero: fails with class data). */
  submit(parameters: { seconds?: number; exit?: number }): Promise<string>;
  stopApi(): Promise<void>;
  startApi(): Promise<void>;
  /** A redis client on the test's Redis (sessions are looked at and expired through it). */
  redis: Redis;
  close(): Promise<void>;
};

/** Builds broker/ui/web into a new temporary folder; returns the folder. */
export async function buildDashboard(): Promise<string> {
  const outDir = await mkdtemp(join(tmpdir(), 'sluice-ui-'));
  await build({ configFile: fileURLToPath(new URL('../../broker/ui/vite.config.ts', import.meta.url)), build: { outDir, emptyOutDir: true }, logLevel: 'error' });
  return outDir;
}

export type DashboardStackOptions = {
  /** Pipelines besides the stand-in one (with landing sources under env.landing, say; their folders made by then). */
  pipelines?: (env: SluiceEnv) => Promise<Pipeline[]>;
  /** Runs the watch role too (landing sources become landings and jobs). */
  watch?: boolean;
};

export async function startDashboardStack(options: DashboardStackOptions = {}): Promise<DashboardStack> {
  const uiDir = await buildDashboard();
  const keys: StackKeys = { admin: newApiKey(), reader: newApiKey(), writer: newApiKey() };
  const env = await createSluiceEnv({
    SLUICE_SPARK_APPS_DIR: await standInAppsDir(),
    SLUICE_AWAIT_POLL: '500ms',
    SLUICE_UI_DIR: uiDir,
    SLUICE_API_KEYS: [
      formatApiKeyEntry('ops', ['admin'], keys.admin),
      formatApiKeyEntry('viewer', ['jobs:read'], keys.reader),
      formatApiKeyEntry('etl', ['jobs:read', 'jobs:write'], keys.writer),
    ].join(','),
  });
  await writeFile(join(env.landing, 'none.parquet'), 'the stand-in app does not read its inputs');
  const config = env.config({ SLUICE_API_PORT: String(await freePort()) });
  const pipelines = pipelineRegistry([standInPipeline(PIPELINE, { max_attempts: 1 }), ...((await options.pipelines?.(env)) ?? [])]);
  const worker = await startSluice(config, { api: false, worker: true, watch: options.watch ?? false }, { pipelines });
  const landingFiles = new LandingFiles(new S3Client({ region: 'us-east-1' }));

  // The API role, as broker/sluice.ts builds it.
  const connection = redisOptions(config.SLUICE_REDIS_URL);
  const keyNames = redisKeys(config.SLUICE_QUEUE_PREFIX);
  let server: ServerType | undefined;
  let closeApi: (() => Promise<void>) | undefined;
  const startApi = async (): Promise<void> => {
    const apiRedis = new Redis(requestPathRedisOptions(connection));
    apiRedis.on('error', () => undefined);
    await apiRedis.connect();
    const apiQueue = new BullJobQueue(apiRedis, config.SLUICE_QUEUE_PREFIX);
    const hubRedis = new Redis({ ...connection, lazyConnect: true, commandTimeout: 15_000 });
    hubRedis.on('error', () => undefined);
    const hub = new EventHub({ redis: hubRedis, key: keyNames.events, logger: worker.logger });
    const app = createApi({
      jobs: new JobsService({ store: worker.store.overConnection(apiRedis), queue: apiQueue, pipelines, landingRoots: config.SLUICE_LANDING_ROOTS }),
      pipelines,
      queues: apiQueue,
      launchers: worker.launchers,
      apiKeys: config.SLUICE_API_KEYS,
      metrics: worker.metrics,
      ready: async () => ({ ok: true, checks: { redis: 'ok' } }),
      bodyLimitBytes: config.SLUICE_BODY_LIMIT,
      logger: worker.logger,
      queueBoard: queueBoard(apiQueue.queue),
      landings: new LandingLedger(apiRedis, config.SLUICE_QUEUE_PREFIX),
      landingFiles,
      events: { stream: new EventStream(apiRedis, keyNames.events), hub },
      ui: dashboardDeps(apiRedis, config),
    });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: config.SLUICE_API_PORT }, () => resolve());
    });
    closeApi = async () => {
      await hub.close();
      const closing = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      // Browsers keep connections open (keep-alive, a followed log): drop them, as a process that stops would.
      (server as { closeAllConnections?: () => void } | undefined)?.closeAllConnections?.();
      await closing;
      await apiQueue.close();
      apiRedis.disconnect();
    };
  };
  await startApi();

  const url = `http://127.0.0.1:${config.SLUICE_API_PORT}`;
  const api = new SluiceClient(url, keys.admin);
  const redis = new Redis(env.redis.url, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // the Redis restart test stops it on purpose
  return {
    url,
    keys,
    env,
    worker,
    api,
    redis,
    submit: async (parameters) => (await api.submit({ pipeline: PIPELINE, parameters, inputs: ['none.parquet'], labels: { team: 'ops' } })).id,
    stopApi: async () => {
      const close = closeApi;
      closeApi = undefined;
      await close?.();
    },
    startApi,
    close: async () => {
      await closeApi?.();
      await worker.close();
      redis.disconnect();
      await env.close();
    },
  };
}
