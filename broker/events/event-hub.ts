// One XREAD loop per API process, shared by every SSE client (docs/adr/0015-event-stream.md).
// A blocking XREAD holds its connection, so the hub has a connection of its own (not the
// API's fail-fast one): it waits out a Redis outage and, since every read names the last id
// it delivered, carries on from there once Redis is back, with nothing missed or repeated.
// Each batch read is parsed once and handed to the subscribers whose filter it matches.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { compareStreamIds, matchesFilter, type EventFilter, type SluiceEvent } from '../core/events.ts';
import { eventsOf, type RawEntry } from './event-stream.ts';

export type EventSubscriber = {
  filter: EventFilter;
  /** Called synchronously with the matching events of each batch, oldest first. */
  deliver(events: SluiceEvent[]): void;
  /** Called once when the hub closes (shutdown): the subscriber ends its stream. */
  closed(): void;
};

export type Subscription = {
  /** The hub delivers every event after this id (the subscriber reads up to it itself). */
  position: string;
  unsubscribe(): void;
};

export type EventHubOptions = {
  /** A connection for this hub alone (blocking reads); the hub disconnects it on close. */
  redis: Redis;
  key: string;
  logger: Logger;
  /** How long one XREAD blocks when nothing happens. */
  blockMs?: number;
  /** Most entries one XREAD returns. */
  batchSize?: number;
};

const MAX_BACKOFF_MS = 2_000;

export class EventHub {
  private readonly subscribers = new Set<EventSubscriber>();
  private lastId: string | undefined;
  private loop: Promise<void> | undefined;
  private isClosed = false;
  private readonly blockMs: number;
  private readonly batchSize: number;

  constructor(private readonly options: EventHubOptions) {
    this.blockMs = options.blockMs ?? 5_000;
    this.batchSize = options.batchSize ?? 1_000;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /**
   * Adds a subscriber. `streamLastId` is the stream's last id as the caller just read it: the
   * first subscriber starts the loop there (so the hub needs no read of its own before it
   * can answer, and a caller never waits on the hub's patient connection).
   */
  subscribe(subscriber: EventSubscriber, streamLastId: string): Subscription {
    if (this.isClosed) throw new Error('event hub is closed');
    if (this.lastId === undefined) this.lastId = streamLastId;
    this.subscribers.add(subscriber);
    this.loop ??= this.run();
    return { position: this.lastId, unsubscribe: () => void this.subscribers.delete(subscriber) };
  }

  private async run(): Promise<void> {
    const { redis, key, logger } = this.options;
    let failures = 0;
    while (!this.isClosed) {
      try {
        const result = (await redis.xread('COUNT', this.batchSize, 'BLOCK', this.blockMs, 'STREAMS', key, this.lastId!)) as Array<[string, RawEntry[]]> | null;
        failures = 0;
        const entries = result?.[0]?.[1] ?? [];
        if (entries.length === 0 || this.isClosed) continue;
        this.lastId = entries.at(-1)![0];
        this.dispatch(eventsOf(entries));
      } catch (error) {
        if (this.isClosed) break;
        failures += 1;
        logger.warn({ err: (error as Error).message, failures }, 'event stream read failed; retrying');
        await sleep(Math.min(100 * 2 ** failures, MAX_BACKOFF_MS));
      }
    }
  }

  private dispatch(events: SluiceEvent[]): void {
    if (events.length === 0) return;
    for (const subscriber of this.subscribers) {
      const matching = events.filter((event) => matchesFilter(event, subscriber.filter));
      if (matching.length > 0) subscriber.deliver(matching);
    }
  }

  /** Ends every subscriber's stream and the loop (SIGTERM, or the API closing). */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const subscriber of this.subscribers) subscriber.closed();
    this.subscribers.clear();
    // Ends a blocking XREAD at once rather than after blockMs.
    this.options.redis.disconnect();
    await this.loop;
  }
}

/** Whether `id` comes after `position` in the stream. */
export const isAfter = (id: string, position: string): boolean => compareStreamIds(id, position) > 0;
