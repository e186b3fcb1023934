// The API role of a Sluice process: its own fail-fast Redis connection, the HTTP app with the
// dashboard, the event hub for SSE clients, and the server. Kept apart from the composition
// root (sluice.ts) so that only a process serving the API loads the HTTP stack.
import { serve, type ServerType } from '@hono/node-server';
import type { S3Client } from '@aws-sdk/client-s3';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { EventHub } from '../events/event-hub.ts';
import { EventStream } from '../events/event-stream.ts';
import type { JobsDeps } from '../jobs/jobs-service.ts';
import { JobsService } from '../jobs/jobs-service.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { Keys } from '../jobs/redis-keys.ts';
import type { LauncherRegistry } from '../launchers/launcher-registry.ts';
import type { SluiceMetrics } from '../metrics/metrics.ts';
import { DeliveryLog } from '../notify/delivery-log.ts';
import { notifyKeys } from '../notify/notify-keys.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { BullJobQueue } from '../queue/bull-job-queue.ts';
import { queueBoard } from '../queue/queue-board.ts';
import { dashboardDeps } from '../ui/dashboard-deps.ts';
import { LandingFiles } from '../../watchers/landing-files.ts';
import { LandingLedger } from '../../watchers/landing-ledger.ts';
import { SourceHealth } from '../../watchers/source-health.ts';
import { listenRefusal } from '../listen-refusal.ts';
import { createApi } from './app.ts';
import { requestPathRedisOptions } from './request-path-redis.ts';

/**
 * How long an idle keep-alive connection stays open: longer than the clients and proxies in
 * front keep theirs (httpx, under the Airflow provider, 5 s; cloud load balancers 60 s), so
 * that they close idle connections and Sluice never does. With Node's default of 5 s, a
 * client reusing a connection just as Sluice closed it saw ECONNRESET on its POST (the broker
 * benchmark's paced client did). close() still ends idle connections at once.
 */
export const API_KEEP_ALIVE_MS = 65_000;

function keepIdleConnectionsLonger(server: ServerType): void {
  if (!('keepAliveTimeout' in server)) return; // an HTTP/2 server has no such setting
  server.keepAliveTimeout = API_KEEP_ALIVE_MS;
  // Kept above keepAliveTimeout, the usual pairing, so the headers timer never ends a reused connection first.
  server.headersTimeout = API_KEEP_ALIVE_MS + 1_000;
}

/** How often a closing server ends the connections that have gone idle since close() began. */
const CLOSE_SWEEP_MS = 50;

/**
 * Stops accepting connections and waits for the open ones. server.close() ends only the
 * connections idle at that moment: one whose response was still being written (a log follow or
 * an event stream that the closers before ended, a slow request) goes idle just after, and
 * would then be kept open for API_KEEP_ALIVE_MS, holding the close that long unless its client
 * leaves. So idle connections are ended again until the server has closed.
 */
function closeServer(server: ServerType): Promise<void> {
  return new Promise<void>((resolve) => {
    const sweep = 'closeIdleConnections' in server ? setInterval(() => server.closeIdleConnections(), CLOSE_SWEEP_MS) : undefined;
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
  });
}

export type ApiRoleDeps = {
  config: Config;
  connection: RedisOptions;
  logger: Logger;
  keys: Keys;
  store: JobStore;
  jobsDeps: JobsDeps;
  pipelines: PipelineRegistry;
  launchers: LauncherRegistry;
  metrics: SluiceMetrics;
  landingsS3: S3Client;
  /** Who this process is (host:pid), for the watcher health it reads. */
  processName: string;
};

/** The running API: its port, its event hub, and what closes it, in order (event streams and log follows first). */
export type ApiRole = { port: number; eventHub: EventHub; closers: Array<() => Promise<void>> };

export async function startApiRole(deps: ApiRoleDeps): Promise<ApiRole> {
  const { config, connection, logger, keys } = deps;
  // Requests use a connection of their own that fails fast while Redis is away (store and
  // queue share it, so a submit sees one state); the worker's keeps waiting outages out.
  const apiRedis = new Redis(requestPathRedisOptions(connection));
  apiRedis.on('error', (error) => logger.debug({ err: error.message }, 'api redis connection error'));
  await apiRedis.connect();
  const apiQueue = new BullJobQueue(apiRedis, config.SLUICE_QUEUE_PREFIX, (error) => logger.debug({ err: error.message }, 'api queue connection error'));
  // One blocking XREAD loop for all of this process's SSE clients, on a connection of its
  // own that waits outages out and resumes from the last id it read (docs/adr/0015-event-stream.md).
  // It connects at the first client; a read unanswered past its block time plus a margin is retried.
  const hubRedis = new Redis({ ...connection, lazyConnect: true, commandTimeout: 15_000 });
  hubRedis.on('error', (error) => logger.debug({ err: error.message }, 'event hub redis connection error'));
  const eventHub = new EventHub({ redis: hubRedis, key: keys.events, logger });
  const closing = new AbortController();
  const app = createApi({
    jobs: new JobsService({ ...deps.jobsDeps, store: deps.store.overConnection(apiRedis), queue: apiQueue, queueSharesStoreConnection: true }),
    pipelines: deps.pipelines,
    queues: apiQueue,
    launchers: deps.launchers,
    apiKeys: config.SLUICE_API_KEYS,
    metrics: deps.metrics,
    ready: async () => {
      const redisOk = await apiRedis.ping().then(() => true, () => false);
      return { ok: redisOk, checks: { redis: redisOk ? 'ok' : 'unreachable' } };
    },
    bodyLimitBytes: config.SLUICE_BODY_LIMIT,
    logger,
    queueBoard: queueBoard(apiQueue.queue),
    landings: new LandingLedger(apiRedis, config.SLUICE_QUEUE_PREFIX, Date.now, config.SLUICE_EVENTS_MAX_LENGTH),
    landingFiles: new LandingFiles(deps.landingsS3),
    watcherHealth: new SourceHealth(apiRedis, config.SLUICE_QUEUE_PREFIX, deps.processName),
    events: { stream: new EventStream(apiRedis, keys.events), hub: eventHub },
    closing: closing.signal,
    ui: dashboardDeps(apiRedis, config),
    notifications: new DeliveryLog(apiRedis, notifyKeys(config.SLUICE_QUEUE_PREFIX), config.SLUICE_RETENTION),
  });
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    // A port in use was an unhandled 'error' event: a stack trace that named no setting.
    const refused = (error: NodeJS.ErrnoException) =>
      reject(listenRefusal(error, 'the API', `${config.SLUICE_API_HOST}:${config.SLUICE_API_PORT}`, 'SLUICE_API_PORT or SLUICE_API_HOST'));
    server = serve({ fetch: app.fetch, hostname: config.SLUICE_API_HOST, port: config.SLUICE_API_PORT }, (info) => {
      server!.off('error', refused);
      resolve(info.port);
    });
    server.once('error', refused);
  });
  keepIdleConnectionsLonger(server!);
  logger.info({ host: config.SLUICE_API_HOST, port }, 'api listening');
  return {
    port,
    eventHub,
    closers: [
      // First of all: open event streams and log follows would keep server.close() waiting.
      () => {
        closing.abort();
        return eventHub.close();
      },
      () => (server ? closeServer(server) : Promise.resolve()),
      async () => {
        await apiQueue.close();
        await apiRedis.quit().catch(() => apiRedis.disconnect());
      },
    ],
  };
}
