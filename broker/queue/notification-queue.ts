// Webhook deliveries on a BullMQ queue of their own ("notifications", not the job-steps queue):
// one BullMQ job per alert and target, whose id is the delivery's id, so that an alert added
// twice (an event read again after a notifier died) is one delivery. A failed attempt is
// retried with exponential backoff: 8 attempts, 5 s apart at first, doubling: 5 + 10 + 20 +
// 40 + 80 + 160 + 320 s, about 10.5 minutes from the first attempt to the last
// (docs/adr/0020-alerts.md). The handler records each attempt; BullMQ only schedules them.
// One target holds at most a few of a process's delivery slots, so that a target that hangs
// delays only its own alerts.
import { DelayedError, Queue, Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import type { Logger } from 'pino';
import type { Alert } from '../core/alerts.ts';
import { closeWhenReady } from './close-when-ready.ts';

export const NOTIFICATIONS_QUEUE = 'notifications';

export type NotificationData = {
  /** The notify target's name (its URL and secret are looked up when sending, never stored here). */
  target: string;
  /** The delivery's id: the BullMQ job's id, and X-Sluice-Delivery. */
  delivery: string;
  alert: Alert;
  /** A landing quarantined without a job: its log is kept under its fingerprint. */
  fingerprint?: string;
};

export type RetryPolicy = { attempts: number; backoffMs: number };

export const DELIVERY_RETRY: RetryPolicy = { attempts: 8, backoffMs: 5_000 };

/** Delivered ones are kept a day so that an alert added again within it is still known and not sent twice. */
const KEEP_DELIVERED_S = 86_400;
const KEEP_FAILED_S = 7 * 86_400;

/** A BullMQ job id may hold ":" only in its own repeat ids: target names and stream ids never hold ".". */
export const deliveryId = (target: string, alertKey: string): string => `${target}.${alertKey}`;

export class NotificationQueue {
  private readonly queue: Queue<NotificationData>;

  constructor(
    connection: ConnectionOptions,
    prefix: string,
    logger: Logger,
    private readonly retry: RetryPolicy = DELIVERY_RETRY,
  ) {
    this.queue = new Queue<NotificationData>(NOTIFICATIONS_QUEUE, { connection, prefix });
    this.queue.on('error', (error) => logger.debug({ err: error.message }, 'notifications queue connection error'));
  }

  /** Adds a delivery; one already added under the same id (kept a day after it ends) is left as it is. */
  async add(data: NotificationData): Promise<void> {
    await this.queue.add('deliver', data, {
      jobId: data.delivery,
      attempts: this.retry.attempts,
      backoff: { type: 'exponential', delay: this.retry.backoffMs },
      removeOnComplete: { age: KEEP_DELIVERED_S },
      removeOnFail: { age: KEEP_FAILED_S },
    });
  }

  close(): Promise<void> {
    return closeWhenReady(this.queue);
  }
}

/** One attempt: its number (from 1) and whether it is the last one the delivery gets. */
export type AttemptInfo = { attempt: number; last: boolean };

/** Sends one attempt; throws when it failed, so that BullMQ schedules the next one. */
export type DeliveryHandler = (data: NotificationData, info: AttemptInfo) => Promise<void>;

/** Slots a process gives deliveries at once; a delivery waits on its target for up to 10 s (webhook-post.ts). */
const CONCURRENCY = 8;
/** Of those, the most one target holds: a target that hangs holds these, and the others share the rest. */
const PER_TARGET = 2;
/** A delivery put back waits between these: at least a moment, at most the longest an attempt lasts. */
const PUT_BACK_MIN_MS = 100;
const PUT_BACK_MAX_MS = 10_000;

export class NotificationWorker {
  private readonly worker: Worker<NotificationData>;
  /** Per target, when each of its attempts running in this process started. */
  private readonly running = new Map<string, number[]>();

  constructor(handle: DeliveryHandler, options: { connection: ConnectionOptions; prefix: string; logger: Logger; concurrency?: number }) {
    this.worker = new Worker<NotificationData>(
      NOTIFICATIONS_QUEUE,
      async (job: BullJob<NotificationData>, token?: string) => {
        const { target } = job.data;
        const started = this.running.get(target) ?? [];
        if (started.length >= PER_TARGET) {
          // The target has its share of the slots: the delivery goes back to the delayed set,
          // still in Redis, without spending an attempt (moveToDelayed does not count one).
          await job.moveToDelayed(Date.now() + putBackDelay(started), token);
          throw new DelayedError();
        }
        const at = Date.now();
        started.push(at);
        this.running.set(target, started);
        try {
          const attempt = job.attemptsMade + 1;
          return await handle(job.data, { attempt, last: attempt >= (job.opts.attempts ?? 1) });
        } finally {
          started.splice(started.indexOf(at), 1);
          if (started.length === 0) this.running.delete(target);
        }
      },
      { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency ?? CONCURRENCY },
    );
    this.worker.on('error', (error) => options.logger.warn({ err: error.message }, 'notifications worker error'));
  }

  close(): Promise<void> {
    return closeWhenReady(this.worker);
  }
}

/**
 * About as long as the target has kept its oldest running attempt: a quick target frees a slot
 * within moments, a hung one only when an attempt times out, and its backlog of put-back
 * deliveries should not spin through the worker meanwhile.
 */
function putBackDelay(started: readonly number[]): number {
  return Math.min(PUT_BACK_MAX_MS, Math.max(PUT_BACK_MIN_MS, Date.now() - Math.min(...started)));
}
