// The watch role: for every pipeline with landing sources, a source per folder and one
// batcher per pipeline, feeding jobs.submit() — the same entry point as the API — with an
// idempotency key derived from the batch's fingerprints. Several Sluice processes may run
// it over the same folders: the ledger's claims make them agree without a leader.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Pipeline } from '../broker/core/pipeline.ts';
import type { JobsService } from '../broker/jobs/jobs-service.ts';
import { Batcher, type ClosedBatch } from './batcher.ts';
import { FsSource } from './fs-source.ts';
import { LANDING_TRIGGER } from './landing-finalizer.ts';
import type { LandingLedger } from './landing-ledger.ts';
import { redisCursorStore, S3Source } from './s3-source.ts';

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
  /** For s3 sources: the S3 client (the process's one; the caller closes it), and the Redis for their listing cursors. */
  s3: { client: S3Client; redis: Redis };
};

export type WatchService = { close(): Promise<void> };

export async function startWatchService(options: WatchServiceOptions): Promise<WatchService> {
  const { ledger } = options;
  const sources: Array<FsSource | S3Source> = [];
  const batchers: Batcher[] = [];
  for (const pipeline of options.pipelines) {
    if (pipeline.sources.length === 0) continue;
    const log = options.logger.child({ pipeline: pipeline.name });
    const batcher = new Batcher({
      pipeline: pipeline.name,
      limits: pipeline.batch,
      ledger,
      log,
      submit: (batch) => submitBatch(options.jobs, batch),
    });
    batchers.push(batcher);
    for (const config of pipeline.sources) {
      let source: FsSource | S3Source;
      if (config.kind === 's3') {
        source = new S3Source({ config, client: options.s3.client, ledger, cursor: redisCursorStore(options.s3.redis, ledger.keys), log });
      } else {
        source = new FsSource({ config, ledger, log });
      }
      source.on('ready', (landing) => void batcher.add(landing).catch((error: Error) => log.error({ err: error.message }, 'batching failed')));
      source.on('error', (error) => log.error({ err: error.message }, 'watcher error'));
      await source.start();
      sources.push(source);
    }
  }
  const tick = setInterval(() => {
    for (const batcher of batchers) void batcher.tick().catch((error: Error) => options.logger.error({ err: error.message }, 'batch close failed'));
  }, TICK_MS);
  const recover = setInterval(() => {
    for (const batcher of batchers) void batcher.recover(RECOVER_AFTER_MS).catch((error: Error) => options.logger.error({ err: error.message }, 'batch recovery failed'));
  }, RECOVER_AFTER_MS);
  tick.unref();
  recover.unref();
  options.logger.info({ sources: sources.length, pipelines: batchers.length }, 'watching landings');
  return {
    async close() {
      clearInterval(tick);
      clearInterval(recover);
      await Promise.all(sources.map((source) => source.close()));
    },
  };
}

async function submitBatch(jobs: JobsService, batch: ClosedBatch): Promise<{ jobId: string }> {
  const { job } = await jobs.submit(
    { pipeline: batch.pipeline, inputs: batch.files.map((file) => file.uri), parameters: {}, labels: { trigger: LANDING_TRIGGER } },
    { idempotencyKey: batch.idempotencyKey, scope: WATCHER_SCOPE },
  );
  return { jobId: job.id };
}
