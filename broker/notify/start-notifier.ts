// The notifier of one worker process (docs/adr/0020-alerts.md): an event-stream consumer in
// the notifiers' group, the deadline sweep, and the worker that sends the deliveries.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { WebhookTarget } from '../config.ts';
import type { Job } from '../core/job.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';
import { NotificationQueue, NotificationWorker, type RetryPolicy } from '../queue/notification-queue.ts';
import { DeadlineWatch } from './deadline-watch.ts';
import { DeliveryLog } from './delivery-log.ts';
import { EventConsumer } from './event-consumer.ts';
import { NOTIFIER_GROUP, notifyKeys } from './notify-keys.ts';
import { Notifier } from './notifier.ts';
import { webhookDelivery } from './webhook-delivery.ts';

export type NotifierSettings = {
  /** The process's Redis options (BullMQ's, which wait outages out). */
  connection: RedisOptions;
  /** The process's shared connection (deadlines, delivery log). */
  redis: Redis;
  prefix: string;
  /** The events stream's key. */
  eventsKey: string;
  pipelines: PipelineRegistry;
  readJob(id: string): Promise<Job | undefined>;
  webhooks: Readonly<Record<string, WebhookTarget>>;
  linkBase?: string | undefined;
  /** How long a job's delivery log is kept (SLUICE_RETENTION). */
  retentionMs: number;
  logger: Logger;
  /** Tests only: shorter retries and take-overs than production's. */
  retry?: RetryPolicy;
  claimIdleMs?: number;
  sweepEveryMs?: number;
};

export type RunningNotifier = { close(): Promise<void> };

export const DEADLINE_SWEEP_MS = 2_000;

export function startNotifier(settings: NotifierSettings): RunningNotifier {
  const { logger } = settings;
  const keys = notifyKeys(settings.prefix);
  const log = new DeliveryLog(settings.redis, keys, settings.retentionMs);
  const queue = new NotificationQueue(settings.connection, settings.prefix, logger, settings.retry);
  const worker = new NotificationWorker(webhookDelivery({ webhooks: settings.webhooks, log, logger }), { connection: settings.connection, prefix: settings.prefix, logger });
  // The notifier records deadlines in the sweep's set; the sweep raises through the notifier.
  const events: Notifier = new Notifier({
    pipelines: settings.pipelines,
    enqueue: (data) => queue.add(data),
    configured: new Set(Object.keys(settings.webhooks)),
    deadlines: { track: (...args) => deadlines.track(...args), forget: (jobId) => deadlines.forget(jobId) },
    linkBase: settings.linkBase,
    logger,
  });
  const deadlines: DeadlineWatch = new DeadlineWatch({
    redis: settings.redis,
    key: keys.deadlines,
    pipelines: settings.pipelines,
    readJob: settings.readJob,
    missed: (job, deadlineMs) => events.deadlineMissed(job, deadlineMs),
    logger,
  });
  // A blocking XREADGROUP holds its connection: this one is the consumer's alone. A read
  // unanswered past its block time plus a margin is retried.
  const consumerRedis = new Redis({ ...settings.connection, commandTimeout: 15_000 });
  consumerRedis.on('error', (error) => logger.debug({ err: error.message }, 'notifier redis connection error'));
  const consumer = new EventConsumer({
    redis: consumerRedis,
    key: settings.eventsKey,
    group: NOTIFIER_GROUP,
    logger,
    handle: (batch) => events.handle(batch),
    ...(settings.claimIdleMs !== undefined ? { claimIdleMs: settings.claimIdleMs } : {}),
  });
  consumer.start();
  // One sweep at a time: a slow one (a backlog, a slow Redis) is not joined by the next tick's,
  // which would take the same members again.
  let sweeping: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    sweeping ??= deadlines
      .sweep()
      .catch((error: Error) => logger.warn({ err: error.message }, 'deadline sweep failed; will try again'))
      .finally(() => {
        sweeping = undefined;
      });
  }, settings.sweepEveryMs ?? DEADLINE_SWEEP_MS);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await consumer.close();
      await sweeping;
      await worker.close();
      await queue.close();
    },
  };
}
