// The composition root: builds Sluice's adapters from the config and wires them together.
// `sluice serve` runs the API and the worker in one process; `sluice api` and
// `sluice worker` run one role each, to scale them apart. Tests and benchmarks call
// startSluice() with their own launcher or pipelines.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { warnMissingSparkSubmit } from './launchers/spark-submit-check.ts';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { EventHub } from './events/event-hub.ts';
import { childProcessEnv, s3Settings, type Config } from './config.ts';
import { JobSteps } from './jobs/job-steps.ts';
import { JobStore } from './jobs/job-store.ts';
import { JobsService } from './jobs/jobs-service.ts';
import { expireFinishedJobs, reconcileQueue, type MaintenanceDeps } from './jobs/maintenance.ts';
import { redisKeys } from './jobs/redis-keys.ts';
import { RunSlots } from './jobs/run-slots.ts';
import { openLake } from './lake/open-lake.ts';
import type { LakeStorage } from './lake/storage.ts';
import type { Launcher } from './launchers/launcher.ts';
import { LauncherRegistry } from './launchers/launcher-registry.ts';
import { lakeOffVolumes } from './jobs/input-volumes.ts';
import { LocalLauncher } from './launchers/local.ts';
import { duckdbSize, EMBEDDED_LAUNCHER, embeddedCommand, pythonBeside } from './launchers/embedded-args.ts';
import { checkEmbeddedTransforms, refuseUnrunnableEmbedded } from './launchers/embedded-check.ts';
import { WorkerEngineChooser } from './jobs/engine-chooser.ts';
import { k8sSettingsFrom } from './launchers/k8s/settings.ts';
import { RunsDirLease } from './launchers/runs-dir-lease.ts';
import { createLogger } from './logger.ts';
import { createMetrics, type SluiceMetrics } from './metrics/metrics.ts';
import { serveMetrics } from './metrics/metrics-server.ts';
import { loadPipelines, type PipelineRegistry } from './pipelines/load-pipelines.ts';
import { BullJobQueue } from './queue/bull-job-queue.ts';
import { checkRedisDurability } from './queue/redis-durability.ts';
import { StepWorker } from './queue/step-worker.ts';
import { LandingLedger } from '../watchers/landing-ledger.ts';
import { startWatchService } from '../watchers/watch-service.ts';
import { checkSourcesInsideRoots } from '../watchers/source-roots.ts';
import { LandingFinalizer } from '../watchers/landing-finalizer.ts';
import { LandingFiles } from '../watchers/landing-files.ts';
import { SourceHealth } from '../watchers/source-health.ts';
import { createS3Client } from './lake/s3-storage.ts';
import { s3aJarPaths } from './tool-cache.ts';
import { connectionSetting, openSinks } from '../sql-sinks/open-sinks.ts';
import { observeLoads } from '../sql-sinks/observed-sinks.ts';
import { sqlOutputs, type Pipeline } from './core/pipeline.ts';
import { checkScheduledInputs } from './schedules/scheduled-inputs.ts';
import { startSchedules } from './schedules/start-schedules.ts';
import { startNotifier } from './notify/start-notifier.ts';
import { warnUnconfiguredTargets } from './notify/webhook-targets.ts';
import type { RetryPolicy } from './queue/notification-queue.ts';

/** api: the HTTP API; worker: job steps; watch: the landing watchers (sources and batchers). */
export type Roles = { api: boolean; worker: boolean; watch?: boolean };

export type Overrides = {
  launcher?: Launcher;
  lake?: LakeStorage;
  pipelines?: PipelineRegistry;
  logger?: Logger;
  /** Step-worker lock settings; tests shorten them to see a killed worker's step sooner. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often maintenance runs (reconcile, expiry). */
  maintenanceEveryMs?: number;
  /** Webhook retries and the take-over of a dead notifier's events; tests shorten them (production: 8 attempts from 5 s, 60 s). */
  notifyRetry?: RetryPolicy;
  notifyClaimIdleMs?: number;
};

export type RunningSluice = {
  config: Config;
  logger: Logger;
  jobs: JobsService;
  store: JobStore;
  queue: BullJobQueue;
  lake: LakeStorage;
  launchers: LauncherRegistry;
  pipelines: PipelineRegistry;
  landings: LandingLedger;
  /** The port the API listens on (useful when SLUICE_API_PORT is 0). */
  port?: number;
  /** This process's metrics (each process counts what it does itself). */
  metrics: SluiceMetrics;
  /** The port a worker or watcher serves /metrics on (useful when SLUICE_METRICS_PORT is 0). */
  metricsPort?: number;
  /** The API's event hub: one XREAD loop shared by its SSE clients (absent without the API role). */
  eventHub?: EventHub;
  close(): Promise<void>;
};

/** ioredis options from a redis:// URL; BullMQ needs maxRetriesPerRequest null to wait out outages. */
export function redisOptions(url: string): RedisOptions {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    db: Number(parsed.pathname.slice(1) || 0),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** Who wrote a record shared between processes: host and pid. */
const processName = (): string => `${hostname()}:${process.pid}`;

export async function startSluice(config: Config, roles: Roles, overrides: Overrides = {}): Promise<RunningSluice> {
  const logger = overrides.logger ?? createLogger(config.SLUICE_LOG_LEVEL);
  const pipelines = overrides.pipelines ?? (await loadPipelines(config.SLUICE_PIPELINES_DIR));
  // Before any connection opens: a refused start leaves nothing running behind it.
  if (roles.watch) await checkSourcesInsideRoots(pipelines.list(), config.SLUICE_LANDING_ROOTS);
  // A worker runs the schedules: one whose ticks the submit would refuse stops it here.
  if (roles.worker) checkScheduledInputs(pipelines, { landingRoots: config.SLUICE_LANDING_ROOTS, s3Roots: config.SLUICE_S3_LANDING_ROOTS });
  // The embedded engine (docs/adr/0021-embedded-engine.md): which pipelines it can run, asked
  // once; a pipeline that forces it and cannot have it stops the start, naming why.
  const embeddedPython = pythonBeside(config.SLUICE_SPARK_SUBMIT);
  const embedded =
    roles.worker && !overrides.launcher
      ? await checkEmbeddedTransforms({ python: embeddedPython, sparkAppsDir: config.SLUICE_SPARK_APPS_DIR, pipelines: pipelines.list(), env: childProcessEnv() })
      : undefined;
  if (embedded) refuseUnrunnableEmbedded(pipelines.list(), embedded);
  if (roles.worker && !overrides.launcher) warnMissingSparkSubmit(pipelines.list(), config.SLUICE_SPARK_SUBMIT, childProcessEnv().PATH ?? '', logger);
  const connection = redisOptions(config.SLUICE_REDIS_URL);
  const redis = new Redis(connection);
  redis.on('error', (error) => logger.warn({ err: error.message }, 'redis connection error'));
  const keys = redisKeys(config.SLUICE_QUEUE_PREFIX);
  // A worker's local runs directory must be the one every worker uses (docs/adr/0010-local-run-ownership.md).
  let runsLease: RunsDirLease | undefined;
  try {
    await checkRedisDurability(redis);
    // Only a worker that may start local runs needs the lease: Kubernetes-only workers scale
    // out without sharing a runs folder.
    const runsLocally = (pipeline: Pipeline) => pipeline.engine.launcher === 'local' || (embedded !== undefined && !embedded.unavailable && pipeline.engine.kind !== 'spark');
    if (roles.worker && !overrides.launcher && pipelines.list().some(runsLocally)) {
      runsLease = await RunsDirLease.acquire({ redis, key: keys.localRunsLease, runsDir: config.SLUICE_RUNS_DIR, logger });
    }
  } catch (error) {
    redis.disconnect();
    throw error;
  }

  const store = new JobStore(redis, keys, config.SLUICE_EVENTS_MAX_LENGTH);
  const queue = new BullJobQueue(connection, config.SLUICE_QUEUE_PREFIX, (error) => logger.debug({ err: error.message }, 'queue connection error'));
  const lake = overrides.lake ?? openLake(config.SLUICE_LAKE_URI, s3Settings(config));
  // A test's launcher stands in for `local`, the one launcher pipelines can name today.
  const localOptions = {
    runsDir: config.SLUICE_RUNS_DIR,
    sparkSubmit: config.SLUICE_SPARK_SUBMIT,
    sparkAppsDir: config.SLUICE_SPARK_APPS_DIR,
    localCores: config.SLUICE_SPARK_LOCAL_CORES,
    baseEnv: childProcessEnv(),
    s3: s3Settings(config),
    s3aJars: s3aJarPaths(childProcessEnv()),
    ...(runsLease ? { ownership: runsLease } : {}),
    logger,
  };
  const local = overrides.launcher ?? new LocalLauncher(localOptions);
  // Embedded runs live in a hidden folder of the runs directory: the local Spark launcher's
  // listing never sees them, and each launcher adopts only its own runs. A process without the
  // worker role has it as it has local Spark's, to read runs (their logs) that workers started:
  // it never launches one, so it needs no check of the engine (no Python, no DuckDB loaded).
  const embeddedLauncher =
    !roles.worker || (embedded && !embedded.unavailable)
      ? new LocalLauncher({
          ...localOptions,
          runsDir: join(config.SLUICE_RUNS_DIR, '.embedded'),
          command: embeddedCommand({ python: embeddedPython, memory: duckdbSize(config.SLUICE_EMBEDDED_MEMORY) }),
        })
      : undefined;
  // The Kubernetes launchers only where SLUICE_K8S_KUBECONFIG says how to reach a cluster; a
  // worker without them fails a job whose pipeline names one with the registry's clear error.
  const k8s = k8sSettingsFrom(config, s3Settings(config));
  // Loaded only then: importing the Kubernetes client took 85 MB of resident memory (the CLI's
  // import, 258 → 173 MB without it), which a watcher or an API that never talks to a cluster
  // would carry for nothing.
  const kubernetes = k8s
    ? (await import('./launchers/k8s/launchers.ts')).createKubernetesLaunchers(k8s, lake, {
        logger,
        namespaces: pipelines.list().flatMap((pipeline) => (pipeline.engine.namespace ? [pipeline.engine.namespace] : [])),
      })
    : {};
  const launchers = new LauncherRegistry({ local, ...kubernetes, ...(embeddedLauncher ? { [EMBEDDED_LAUNCHER]: embeddedLauncher } : {}) });
  // Said at start, not at the first job: a worker deployed without the cluster's settings
  // (one pod of a rollout, say) fails each such job it takes, `user`, naming the launcher.
  const lacking = roles.worker ? launchers.lacking(pipelines.list()) : [];
  if (lacking.length > 0) {
    logger.warn({ pipelines: lacking, setting: 'SLUICE_K8S_KUBECONFIG' }, 'this worker has no launcher for these pipelines (engine.launcher; the Kubernetes ones need SLUICE_K8S_KUBECONFIG): each of their jobs it takes will fail at launch');
  }
  const lakeOff = roles.worker && k8s ? lakeOffVolumes(pipelines.list(), config.SLUICE_LAKE_URI) : [];
  if (lakeOff.length > 0) {
    logger.warn(
      { pipelines: lakeOff, setting: 'SLUICE_LAKE_URI', lake: config.SLUICE_LAKE_URI },
      'these pipelines run on Kubernetes, but no writable volume of theirs (engine.volumes with read_only: false) holds the file:// lake: their drivers would write it inside their own containers, where this worker never finds the runs; use an s3:// lake or mount it',
    );
  }
  const jobsDeps = { store, queue, pipelines, landingRoots: config.SLUICE_LANDING_ROOTS, s3Roots: config.SLUICE_S3_LANDING_ROOTS };
  const jobs = new JobsService(jobsDeps);
  const ledger = new LandingLedger(redis, config.SLUICE_QUEUE_PREFIX, Date.now, config.SLUICE_EVENTS_MAX_LENGTH);
  const closers: Array<() => Promise<void> | void> = [];
  /** What every role shares: closed after the roles, or alone when start-up fails before them. */
  const closeShared = async (): Promise<void> => {
    await launchers.close();
    await runsLease?.close();
    lake.close?.();
    await queue.close();
  };
  // One registry per process, created before any role so that every transition this process
  // writes is observed here (docs/adr/0013-metrics-per-process-and-trace-ids.md).
  const metrics = createMetrics({
    store,
    queues: queue,
    landings: ledger,
    roles: (['api', 'worker', 'watch'] as const).filter((role) => roles[role]),
  });
  ledger.onMoved((fingerprints, to) => {
    if (to === 'quarantined') metrics.recordQuarantine(fingerprints.length);
  });
  // Workers and watchers have no API to hang /metrics on: they serve it on a port of their
  // own, opened before any work starts so that a port in use stops start-up cleanly.
  let metricsPort: number | undefined;
  if ((roles.worker || roles.watch) && config.SLUICE_METRICS_PORT !== null) {
    try {
      const metricsServer = await serveMetrics(metrics.registry, { host: config.SLUICE_METRICS_HOST, port: config.SLUICE_METRICS_PORT, logger });
      metricsPort = metricsServer.port;
      closers.push(() => metricsServer.close());
    } catch (error) {
      await closeShared();
      redis.disconnect();
      throw error;
    }
  }

  // For S3 landings: listing them, and moving them (archive, quarantine). Idle unless a pipeline uses S3.
  const landingsS3 = createS3Client(s3Settings(config));

  if (roles.watch) {
    const watchers = await startWatchService({
      ledger,
      pipelines: pipelines.list(),
      pipelineFile: (name) => pipelines.file(name),
      jobs,
      logger,
      redis,
      s3: landingsS3,
      landingRoots: config.SLUICE_LANDING_ROOTS,
      health: new SourceHealth(redis, config.SLUICE_QUEUE_PREFIX, processName()),
    });
    closers.push(() => watchers.close());
  }

  if (roles.worker) {
    const sinks = observeLoads(openSinks({ urls: config.sqlUrls, poolMax: config.SLUICE_SQL_POOL_MAX, connectTimeoutMs: config.SLUICE_SQL_CONNECT_TIMEOUT }), (load) =>
      metrics.recordLoad(load),
    );
    // Said at start-up rather than at 3 a.m. when the first load fails the same way.
    for (const pipeline of pipelines.list()) {
      for (const output of sqlOutputs(pipeline)) {
        const setting = connectionSetting(output.connection);
        if (!config.sqlUrls[setting]) logger.warn({ pipeline: pipeline.name, connection: output.connection, setting }, 'sql connection not configured; loads of this pipeline will fail');
      }
    }
    const slots = new RunSlots(redis, keys, config.SLUICE_MAX_RUNNING);
    const landingFiles = new LandingFiles(landingsS3);
    const steps = new JobSteps({
      store,
      slots,
      launchers,
      lake,
      pipelines,
      landingRoots: config.SLUICE_LANDING_ROOTS,
      logger,
      pollMs: config.SLUICE_AWAIT_POLL,
      slotWaitMs: 2_000,
      wake: (jobId) => queue.wake(jobId),
      finalizer: new LandingFinalizer(ledger, pipelines, logger, landingFiles),
      sinks,
      ...(embedded
        ? {
            engines: new WorkerEngineChooser({
              maxBytes: config.SLUICE_EMBEDDED_MAX_BYTES,
              untranslatable: embedded.untranslatable,
              embeddedUnavailable: embedded.unavailable,
              sizeOf: (uri) => landingFiles.size(uri),
              logger,
            }),
          }
        : {}),
    });
    const worker = new StepWorker(steps, {
      connection,
      prefix: config.SLUICE_QUEUE_PREFIX,
      concurrency: config.SLUICE_WORKER_CONCURRENCY,
      logger,
      ...(overrides.lockDurationMs ? { lockDurationMs: overrides.lockDurationMs } : {}),
      ...(overrides.stalledIntervalMs ? { stalledIntervalMs: overrides.stalledIntervalMs } : {}),
    });
    const unwatch = launchers.watch({ ended: (event) => void queue.wake(event.jobId).catch(() => undefined) });
    const maintenance: MaintenanceDeps = { store, queue, slots, launchers, lake, logger, retentionMs: config.SLUICE_RETENTION };
    const runMaintenance = async (): Promise<void> => {
      try {
        await reconcileQueue(maintenance);
        await expireFinishedJobs(maintenance);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'maintenance failed; will try again');
      }
    };
    void runMaintenance();
    const timer = setInterval(() => void runMaintenance(), overrides.maintenanceEveryMs ?? 60_000);
    timer.unref();
    closers.push(async () => {
      clearInterval(timer);
      unwatch();
      await worker.close();
      await sinks.close();
    });
    // Pipelines on a timetable: one BullMQ job scheduler each (docs/adr/0019-schedules.md).
    const schedules = await startSchedules({ connection, prefix: config.SLUICE_QUEUE_PREFIX, pipelines, jobs, logger });
    closers.push(() => schedules.close());
    // Alerts: webhooks for failed, succeeded, quarantined and late jobs (docs/adr/0020-alerts.md).
    warnUnconfiguredTargets(pipelines.list(), config.webhooks, logger);
    const notifier = startNotifier({
      connection,
      redis,
      prefix: config.SLUICE_QUEUE_PREFIX,
      eventsKey: keys.events,
      pipelines,
      readJob: (id) => store.get(id),
      webhooks: config.webhooks,
      linkBase: config.SLUICE_WEBHOOK_LINK_BASE,
      retentionMs: config.SLUICE_RETENTION,
      logger,
      ...(overrides.notifyRetry ? { retry: overrides.notifyRetry } : {}),
      ...(overrides.notifyClaimIdleMs !== undefined ? { claimIdleMs: overrides.notifyClaimIdleMs } : {}),
    });
    closers.push(() => notifier.close());
  }

  let port: number | undefined;
  let eventHub: EventHub | undefined;
  if (roles.api) {
    // Loaded only by a process that serves the API: the HTTP stack, the dashboard and the
    // queue board cost a watcher or a worker memory it would never use.
    const { startApiRole } = await import('./api/start-api-role.ts');
    const api = await startApiRole({ config, connection, logger, keys, store, jobsDeps, pipelines, launchers, metrics, landingsS3, processName: processName() });
    port = api.port;
    eventHub = api.eventHub;
    // First of all: open event streams and log follows would keep the server's close waiting.
    closers.unshift(...api.closers);
  }

  return {
    config,
    logger,
    jobs,
    store,
    queue,
    lake,
    launchers,
    pipelines,
    landings: ledger,
    ...(port !== undefined ? { port } : {}),
    metrics,
    ...(metricsPort !== undefined ? { metricsPort } : {}),
    ...(eventHub ? { eventHub } : {}),
    async close() {
      for (const close of closers) await close();
      await closeShared();
      landingsS3.destroy();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
