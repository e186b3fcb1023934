// The watch role: for every pipeline with landing sources, a source per folder and one
// batcher per pipeline, feeding jobs.submit() — the same entry point as the API — with an
// idempotency key derived from the batch's fingerprints. Several Sluice processes may run
// it over the same folders: the ledger's claims make them agree without a leader.
//
//   source `ready` ─────────────────────────┐
//   Redis `released` (any process) ─────────┼──► door: footer check ──► batcher ──► submit
//   subscription back after an outage ──────┘        └─ bad ──► quarantine, at once
//
// Released landings (the good files of a batch whose job failed on a bad one, released by
// the worker that finished the job) are announced by the ledger on a Redis channel; this
// service hears it with a connection of its own and batches them again at once. What it
// missed while not subscribed it finds ready in the ledger: at start-up (the sources
// re-emit ready landings) and when its subscription comes back after a Redis outage.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Pipeline } from '../broker/core/pipeline.ts';
import type { JobsService } from '../broker/jobs/jobs-service.ts';
import { checkSourcesApart } from '../broker/pipelines/load-pipelines.ts';
import { Batcher, type ClosedBatch } from './batcher.ts';
import { FsSource } from './fs-source.ts';
import { LandingDoor, type DoorRoute } from './landing-door.ts';
import { LANDING_TRIGGER } from './landing-finalizer.ts';
import { LandingFiles } from './landing-files.ts';
import { readyLanding, type LandingLedger } from './landing-ledger.ts';
import { LandingValidator } from './landing-validator.ts';
import { redisCursorStore, S3Source } from './s3-source.ts';
import { checkSourcesInsideRoots } from './source-roots.ts';
import type { SourceHealth } from './source-health.ts';

/** Idempotency scope of watcher submits: apart from every API key's. */
const WATCHER_SCOPE = 'watcher';
const TICK_MS = 250;
/** A batch claimed but not yet submitted for this long is submitted again (its process died). */
const RECOVER_AFTER_MS = 60_000;

export type WatchServiceOptions = {
  ledger: LandingLedger;
  pipelines: readonly Pipeline[];
  jobs: JobsService;
  logger: Logger;
  /** The process's Redis: s3 sources' listing cursors; duplicated for the subscription to released landings. */
  redis: Redis;
  /** The process's S3 client (the caller closes it): s3 sources, footers of S3 landings, quarantine moves. */
  s3: S3Client;
  /** SLUICE_LANDING_ROOTS: every fs source must lie inside one, or the service does not start. */
  landingRoots: readonly string[];
  /** Where each source's last listing and last error are recorded for GET /v1/watchers. */
  health?: SourceHealth;
  /** The file a pipeline was loaded from (PipelineRegistry.file), for messages that name it. */
  pipelineFile?: (pipeline: string) => string | undefined;
  /** For fs sources: asks a folder's file system (tests inject one). */
  statfs?: (path: string) => Promise<{ type: number }>;
};

export type WatchService = { close(): Promise<void> };

export async function startWatchService(options: WatchServiceOptions): Promise<WatchService> {
  const { ledger, logger } = options;
  // Also checked when pipelines are loaded from their files; here for registries built in code.
  checkSourcesApart(options.pipelines, (name) => options.pipelineFile?.(name) ?? `pipeline "${name}"`);
  await checkSourcesInsideRoots(options.pipelines, options.landingRoots);
  const door = new LandingDoor({
    validator: new LandingValidator(options.s3),
    quarantine: { ledger, files: new LandingFiles(options.s3) },
    ledger,
  });
  /** Source id → the routes of the pipelines that watch it. */
  const routes = new Map<string, DoorRoute[]>();
  const admitReleased = async (fingerprints: string[]): Promise<void> => {
    for (const record of await ledger.getMany(fingerprints)) {
      if (record.state !== 'ready') continue;
      for (const route of routes.get(record.source) ?? []) void door.admit(route, readyLanding(record));
    }
  };
  const catchUp = async (): Promise<void> => {
    for (const [source, sourceRoutes] of routes) {
      for await (const record of ledger.each({ source, state: 'ready' })) for (const route of sourceRoutes) void door.admit(route, readyLanding(record));
    }
  };

  // Subscribed before the sources start, so that no release falls between their re-emit of
  // ready landings and the subscription.
  const subscriber = options.redis.duplicate();
  let subscribedOnce = false;
  subscriber.on('error', (error: Error) => logger.warn({ err: error.message }, 'released-landings subscription error'));
  subscriber.on('message', (_channel: string, message: string) => {
    const fingerprints = parseFingerprints(message);
    void admitReleased(fingerprints).catch((error: Error) => logger.error({ err: error.message }, 'released landings not batched; the next rescan will'));
  });
  subscriber.on('ready', () => {
    // ioredis subscribes again by itself after a reconnect; releases made meanwhile were not heard.
    if (subscribedOnce) void catchUp().catch((error: Error) => logger.error({ err: error.message }, 'catch-up of ready landings failed'));
  });
  await subscriber.subscribe(ledger.keys.released);
  subscribedOnce = true;

  const sources: Array<FsSource | S3Source> = [];
  const batchers: Batcher[] = [];
  try {
    for (const pipeline of options.pipelines) {
      if (pipeline.sources.length === 0) continue;
      const log = logger.child({ pipeline: pipeline.name });
      const batcher = new Batcher({
        pipeline: pipeline.name,
        limits: pipeline.batch,
        ledger,
        log,
        submit: (batch) => submitBatch(options.jobs, batch),
      });
      batchers.push(batcher);
      const route: DoorRoute = { pipeline, batcher, log };
      for (const config of pipeline.sources) {
        const source =
          config.kind === 's3'
            ? new S3Source({ config, client: options.s3, ledger, cursor: redisCursorStore(options.redis, ledger.keys), log })
            : new FsSource({ config, ledger, log, pipelineFile: options.pipelineFile?.(pipeline.name), statfs: options.statfs });
        routes.set(source.id, [...(routes.get(source.id) ?? []), route]);
        source.on('ready', (landing) => void door.admit(route, landing));
        source.on('error', (error) => {
          log.error({ err: error.message }, 'watcher error');
          void options.health?.failed(source.id, error.message).catch(() => undefined);
        });
        // A failed write of the health record is not the watcher's failure: the next listing writes it again.
        source.on('listed', (listing) => void options.health?.listed(source.id, listing).catch(() => undefined));
        await source.start();
        sources.push(source);
      }
    }
  } catch (error) {
    await Promise.all(sources.map((source) => source.close()));
    await door.close();
    subscriber.disconnect();
    throw error;
  }
  const tick = setInterval(() => {
    for (const batcher of batchers) {
      // Only a batch that is open can be due; an idle watcher does no work on its ticks.
      if (batcher.nextDeadline() === undefined) continue;
      void batcher.tick().catch((error: Error) => logger.error({ err: error.message }, 'batch close failed'));
    }
  }, TICK_MS);
  const recover = setInterval(() => {
    for (const batcher of batchers) void batcher.recover(RECOVER_AFTER_MS).catch((error: Error) => logger.error({ err: error.message }, 'batch recovery failed'));
  }, RECOVER_AFTER_MS);
  tick.unref();
  recover.unref();
  logger.info({ sources: sources.length, pipelines: batchers.length }, 'watching landings');
  return {
    async close() {
      clearInterval(tick);
      clearInterval(recover);
      await subscriber.quit().catch(() => subscriber.disconnect());
      await Promise.all(sources.map((source) => source.close()));
      await door.close();
    },
  };
}

/** The fingerprints of a `released` message; anything else on the channel is ignored. */
function parseFingerprints(message: string): string[] {
  try {
    const parsed: unknown = JSON.parse(message);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

async function submitBatch(jobs: JobsService, batch: ClosedBatch): Promise<{ jobId: string }> {
  const { job } = await jobs.submit(
    { pipeline: batch.pipeline, inputs: batch.files.map((file) => file.uri), parameters: {}, labels: { trigger: LANDING_TRIGGER } },
    { idempotencyKey: batch.idempotencyKey, scope: WATCHER_SCOPE },
  );
  return { jobId: job.id };
}
