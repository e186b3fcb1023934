// Real dependencies for the API tests: a redis-server of their own, the job store, BullMQ
// queue and jobs service on a fresh key prefix per context, and a pino logger writing to a
// buffer (so tests can prove no key is ever logged). The app is driven with app.request().
import { SourceHealth } from '../../watchers/source-health.ts';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiEnv } from '../../broker/api/api-env.ts';
import { createApi } from '../../broker/api/app.ts';
import { formatApiKeyEntry, newApiKey } from '../../broker/api/api-keys.ts';
import { requestPathRedisOptions } from '../../broker/api/request-path-redis.ts';
import type { RunHandle } from '../../broker/core/job.ts';
import type { JobView } from '../../broker/cli/sluice-client.ts';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';
import { S3Client } from '@aws-sdk/client-s3';
import { LandingFiles } from '../../watchers/landing-files.ts';
import { JobStore } from '../../broker/jobs/job-store.ts';
import { JobsService } from '../../broker/jobs/jobs-service.ts';
import { redisKeys } from '../../broker/jobs/redis-keys.ts';
import type { Launcher, LogOptions, RunStatus } from '../../broker/launchers/launcher.ts';
import { LauncherRegistry } from '../../broker/launchers/launcher-registry.ts';
import { createMetrics } from '../../broker/metrics/metrics.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { BullJobQueue } from '../../broker/queue/bull-job-queue.ts';
import { queueBoard } from '../../broker/queue/queue-board.ts';
import { EventHub } from '../../broker/events/event-hub.ts';
import { EventStream } from '../../broker/events/event-stream.ts';
import { LandingLedger } from '../../watchers/landing-ledger.ts';
import { DeliveryLog } from '../../broker/notify/delivery-log.ts';
import { notifyKeys } from '../../broker/notify/notify-keys.ts';
import { RedisServer } from '../harness/redis-server.ts';
import { expect } from 'vitest';

export const salesPipeline = PipelineSchema.parse({
  name: 'sales',
  description: 'Daily sales by store',
  input: { columns: { store: 'string', amount: 'double', day: 'date' } },
  parameters: { day: { type: 'string', default: '2024-06-01' } },
  transform: { group_by: ['store'], metrics: [{ name: 'total', fn: 'sum', column: 'amount' }] },
  outputs: { lake: { table: 'sales_daily' } },
});

export const returnsPipeline = PipelineSchema.parse({
  name: 'returns',
  input: { columns: { store: 'string', amount: 'double' } },
  transform: { sql: 'SELECT store, count(*) AS n FROM landing GROUP BY store' },
  outputs: { lake: { table: 'returns_daily' } },
});

/**
 * A stand-in launcher, used only by GET /v1/jobs/{id}/logs: it reads `<dir>/<runId>.log` and,
 * when following, polls for appended bytes until the caller's signal aborts. The real local
 * launcher (spark-submit) is tested on its own; here only the API's use of logs() matters.
 */
export class TempFileLauncher implements Launcher {
  readonly name = 'test-file';
  /** How many follows ended because the signal aborted (the client went away). */
  followsAborted = 0;
  /** When set, logs() throws it: an unexpected failure the API must not echo. */
  failWith: Error | undefined;

  constructor(readonly dir: string) {}

  launch(): Promise<RunHandle> {
    throw new Error('not used by the API');
  }
  status(): Promise<RunStatus> {
    throw new Error('not used by the API');
  }
  cancel(): Promise<void> {
    throw new Error('not used by the API');
  }

  async *logs(handle: RunHandle, options: LogOptions = {}): AsyncIterable<string> {
    if (this.failWith) throw this.failWith;
    const path = join(this.dir, `${handle.runId}.log`);
    const text = await readFile(path, 'utf8').catch(() => '');
    const lines = text.split(/(?<=\n)/).filter(Boolean);
    yield lines.slice(-(options.tail ?? lines.length)).join('');
    if (!options.follow) return;
    let offset = Buffer.byteLength(text);
    while (!options.signal?.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const now = await readFile(path);
      if (now.length > offset) {
        yield now.subarray(offset).toString('utf8');
        offset = now.length;
      }
    }
    this.followsAborted += 1;
  }

  writeLog(runId: string, text: string): Promise<void> {
    return appendFile(join(this.dir, `${runId}.log`), text);
  }
}

/** admin; reader: jobs:read; writer: jobs:read+jobs:write; producer: jobs:write alone. */
export type Keys = { admin: string; reader: string; writer: string; producer: string };

export type ApiContext = {
  app: OpenAPIHono<ApiEnv>;
  store: JobStore;
  queue: BullJobQueue;
  jobs: JobsService;
  /** The landing ledger the app reads and re-admits through. */
  landings: LandingLedger;
  /** The webhook delivery log the app reads (GET /v1/jobs/{id}/notifications, GET /v1/notifications). */
  notifications: DeliveryLog;
  launcher: TempFileLauncher;
  landing: string;
  keys: Keys;
  /** Everything the app logged, one JSON line each. */
  logLines: string[];
  /** Every response body the test read through `call`, for the no-secret check. */
  bodies: string[];
  call(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
};

export class ApiTestServer {
  /** The landing and log folders of every context, removed by stop(). */
  private readonly folders: string[] = [];

  private constructor(readonly redisServer: RedisServer) {}

  static async start(): Promise<ApiTestServer> {
    return new ApiTestServer(await RedisServer.start());
  }

  async stop(): Promise<void> {
    await this.redisServer.destroy();
    await Promise.all(this.folders.map((folder) => rm(folder, { recursive: true, force: true })));
  }

  private async folder(prefix: string): Promise<string> {
    const made = await mkdtemp(join(tmpdir(), prefix));
    this.folders.push(made);
    return made;
  }

  /** A fresh app over fresh keys in Redis (its own prefix), so counts start at zero. */
  async context(
    options: {
      bodyLimitBytes?: number;
      board?: boolean;
      ready?: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
      /** The production API's connection (fails fast while Redis is away, so requests answer 503), shared by store and queue. */
      requestPath?: boolean;
      /** Pipelines besides sales and returns (with landing sources, for the landing routes). */
      pipelines?: Pipeline[];
    } = {},
  ): Promise<ApiContext> {
    const prefix = `t${randomBytes(6).toString('hex')}`;
    let redis: Redis;
    let queue: BullJobQueue;
    if (options.requestPath) {
      redis = new Redis(requestPathRedisOptions({ host: '127.0.0.1', port: this.redisServer.port }));
      redis.on('error', () => undefined);
      await redis.connect();
      queue = new BullJobQueue(redis, prefix);
    } else {
      redis = new Redis(this.redisServer.url, { maxRetriesPerRequest: null });
      queue = new BullJobQueue(redis, prefix);
    }
    const store = new JobStore(redis, redisKeys(prefix));
    const landing = await this.folder('sluice-api-landing-');
    await mkdir(join(landing, 'sales'), { recursive: true });
    await writeFile(join(landing, 'sales', 'part-0.parquet'), 'not really parquet; nothing reads it here');
    const pipelines = pipelineRegistry([salesPipeline, returnsPipeline, ...(options.pipelines ?? [])]);
    const landings = new LandingLedger(redis, prefix);
    // As the API role builds it: store and queue on one connection, the add sent behind the write.
    const jobs = new JobsService({ store, queue, pipelines, landingRoots: [landing], queueSharesStoreConnection: true });
    const launcher = new TempFileLauncher(await this.folder('sluice-api-logs-'));
    const keys: Keys = { admin: newApiKey(), reader: newApiKey(), writer: newApiKey(), producer: newApiKey() };
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    // The hub's connection waits out an outage (a test that stops Redis); its errors are the hub's to log.
    // It connects at the first events request, as in production.
    const hubRedis = new Redis(this.redisServer.url, { lazyConnect: true });
    hubRedis.on('error', (error) => logger.warn({ err: error.message }, 'event hub redis error'));
    const eventHub = new EventHub({ redis: hubRedis, key: redisKeys(prefix).events, logger });
    const notifications = new DeliveryLog(redis, notifyKeys(prefix), 86_400_000);
    const app = createApi({
      jobs,
      pipelines,
      queues: queue,
      launchers: new LauncherRegistry({ local: launcher }),
      apiKeys: [
        formatApiKeyEntry('ops', ['admin'], keys.admin),
        formatApiKeyEntry('dashboard', ['jobs:read'], keys.reader),
        formatApiKeyEntry('airflow', ['jobs:read', 'jobs:write'], keys.writer),
        formatApiKeyEntry('producer', ['jobs:write'], keys.producer),
      ],
      metrics: createMetrics({ store, queues: queue }),
      ready:
        options.ready ??
        (options.requestPath
          ? async () => {
              // As the composition root checks it: a ping on the request path's connection.
              const ok = await redis.ping().then(() => true, () => false);
              return { ok, checks: { redis: ok ? 'ok' : 'unreachable' } };
            }
          : async () => ({ ok: true, checks: { redis: 'ok' } })),
      bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024,
      logger,
      events: { stream: new EventStream(redis, redisKeys(prefix).events), hub: eventHub },
      ...(options.board ? { queueBoard: queueBoard(queue.queue) } : {}),
      landings,
      // Folders only here; no S3 call is made.
      landingFiles: new LandingFiles(new S3Client({ region: 'us-east-1' })),
      notifications,
      watcherHealth: new SourceHealth(redis, prefix, 'test'),
    });
    const bodies: string[] = [];
    const call = async (path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> => {
      const { key = keys.admin, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${key}`);
      const response = await app.request(path, { ...rest, headers });
      if (response.headers.get('Content-Type')?.includes('event-stream') || path.includes('follow=true')) return response;
      bodies.push(await response.clone().text());
      return response;
    };
    return {
      app,
      store,
      queue,
      jobs,
      landings,
      notifications,
      launcher,
      landing,
      keys,
      logLines,
      bodies,
      call,
      close: async () => {
        await eventHub.close();
        await queue.close();
        redis.disconnect();
      },
    };
  }
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const PROBLEM = 'application/problem+json';

/** What a queue holds, to prove a refused request changed nothing. */
/**
 * No API key in any response body or log line the file's tests produced; the minimums make
 * sure there was something to look at (a test run on its own would have seen nothing).
 */
export function expectNoApiKeyLeaked(context: ApiContext, minimum: { bodies?: number; logLines?: number }): void {
  expect(context.bodies.length).toBeGreaterThan(minimum.bodies ?? 0);
  expect(context.logLines.length).toBeGreaterThan(minimum.logLines ?? 0);
  for (const text of [...context.bodies, ...context.logLines]) for (const key of Object.values(context.keys)) expect(text).not.toContain(key);
}

export async function snapshot(context: ApiContext): Promise<{ jobs: number; queued: number; waiting: number }> {
  const counts = await context.store.countByState();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const view = await context.queue.counts();
  const waiting = Object.values(view.counts).reduce((a, b) => a + b, 0);
  return { jobs: total, queued: counts.queued, waiting };
}

/** A job as the API answers it: the JobView of the generated client's types. */
export type JobBody = JobView;
