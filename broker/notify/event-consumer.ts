// Reads the events stream as one consumer of a Redis consumer group, so that the notifiers of
// all worker processes share the events: each entry goes to one of them, and stays pending
// until that one acknowledges it (XACK) after handing it off. A notifier that died holding
// entries leaves them pending; the others take them over once idle for `claimIdleMs`
// (XAUTOCLAIM), so an event may be handled twice but is never lost: what it leads to must be
// idempotent (the notifications queue's job ids make it so).
//
// The group is created at the stream's end ("$") the first time; from then on it keeps its
// own position, so events written while no worker ran are read when one starts.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SluiceEvent } from '../core/events.ts';
import { eventsOf, type RawEntry } from '../events/event-stream.ts';

export type EventConsumerOptions = {
  /** A connection for this consumer alone (XREADGROUP blocks it); disconnected on close. */
  redis: Redis;
  key: string;
  group: string;
  logger: Logger;
  /** Handles a batch, oldest first; the batch is acknowledged once it returns, read again if it throws. */
  handle(events: SluiceEvent[]): Promise<void>;
  blockMs?: number;
  batchSize?: number;
  /** Entries pending this long with another consumer are taken over (it died). */
  claimIdleMs?: number;
  /** How often to look for such entries. */
  claimEveryMs?: number;
};

const MAX_BACKOFF_MS = 5_000;
/**
 * After a batch smaller than batchSize, how long new events gather before the next read: the
 * first event after a quiet spell is read at once; those that follow it within this long
 * wait for it to pass and are read together (a job writes several within milliseconds).
 * Alerts and deadlines are late by at most this, against a wake-up of the process (and a
 * round trip to acknowledge) per event, which measurably slowed the job steps sharing the
 * process (ADR 0023).
 */
export const GATHER_MS = 200;
/** A consumer with nothing pending and silent this long is a process that is gone: it is removed from the group. */
const FORGET_CONSUMER_MS = 3_600_000;

type RawReply = Array<[string, Array<[string, string[] | null]>]> | null;

export class EventConsumer {
  /** Unique per process start, so that a restarted process does not inherit another's pending entries by name. */
  readonly name = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private isClosed = false;
  /** Ends a gathering pause at close. */
  private readonly closing = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly blockMs: number;
  private readonly batchSize: number;
  private readonly claimIdleMs: number;
  private readonly claimEveryMs: number;

  constructor(private readonly options: EventConsumerOptions) {
    this.blockMs = options.blockMs ?? 5_000;
    this.batchSize = options.batchSize ?? 100;
    this.claimIdleMs = options.claimIdleMs ?? 60_000;
    this.claimEveryMs = options.claimEveryMs ?? Math.min(30_000, this.claimIdleMs);
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async ensureGroup(): Promise<void> {
    const { redis, key, group } = this.options;
    try {
      await redis.call('XGROUP', 'CREATE', key, group, '$', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    let groupReady = false;
    // Own pending entries first (after a failed batch), then new ones.
    let readPending = false;
    let nextClaimAt = 0;
    let failures = 0;
    while (!this.isClosed) {
      try {
        if (!groupReady) {
          await this.ensureGroup();
          groupReady = true;
        }
        if (Date.now() >= nextClaimAt) {
          await this.claimIdle();
          nextClaimAt = Date.now() + this.claimEveryMs;
        }
        const entries = await this.read(readPending ? '0' : '>');
        failures = 0;
        if (readPending && entries.length === 0) readPending = false;
        if (entries.length > 0) await this.process(entries);
        // A full batch means more are waiting: read on at once. Otherwise let the next gather.
        if (!readPending && entries.length > 0 && entries.length < this.batchSize) await this.pause(GATHER_MS);
      } catch (error) {
        if (this.isClosed) break;
        failures += 1;
        readPending = true;
        if (/NOGROUP/.test((error as Error).message)) groupReady = false;
        logger.warn({ err: (error as Error).message, failures }, 'notifier could not read the event stream; retrying');
        await sleep(Math.min(200 * 2 ** failures, MAX_BACKOFF_MS));
      }
    }
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.closing.signal }).catch(() => undefined);
  }

  private async read(from: '0' | '>'): Promise<RawEntry[]> {
    const { redis, key, group } = this.options;
    // Only new entries are waited for; this consumer's pending ones are there or not.
    const block = from === '>' ? ['BLOCK', this.blockMs] : [];
    const reply = (await redis.call('XREADGROUP', 'GROUP', group, this.name, 'COUNT', this.batchSize, ...block, 'STREAMS', key, from)) as RawReply;
    return entriesOf(reply?.[0]?.[1] ?? []);
  }

  private async process(entries: RawEntry[]): Promise<void> {
    const { redis, key, group } = this.options;
    await this.options.handle(eventsOf(entries));
    await redis.call('XACK', key, group, ...entries.map(([id]) => id));
  }

  /** Takes over entries left pending by consumers that stopped, and forgets consumers long gone. */
  private async claimIdle(): Promise<void> {
    const { redis, key, group, logger } = this.options;
    let start = '0-0';
    for (let page = 0; page < 100; page += 1) {
      const [next, claimed] = (await redis.call('XAUTOCLAIM', key, group, this.name, this.claimIdleMs, start, 'COUNT', this.batchSize)) as [string, Array<[string, string[] | null]>];
      const entries = entriesOf(claimed);
      if (entries.length > 0) {
        logger.info({ entries: entries.length }, 'notifier took over events another notifier left unhandled');
        await this.process(entries);
      }
      if (next === '0-0') break;
      start = next;
    }
    const consumers = (await redis.call('XINFO', 'CONSUMERS', key, group)) as unknown[][];
    for (const fields of consumers) {
      const info = Object.fromEntries(fields.flatMap((value, index) => (index % 2 === 0 ? [[String(value), fields[index + 1]]] : [])));
      if (info.name !== this.name && Number(info.pending) === 0 && Number(info.idle) > FORGET_CONSUMER_MS) {
        await redis.call('XGROUP', 'DELCONSUMER', key, group, String(info.name));
      }
    }
  }

  /** Stops reading; a batch being handled finishes first (its entries are acknowledged or stay pending). */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closing.abort();
    // Ends a blocking XREADGROUP at once rather than after blockMs.
    this.options.redis.disconnect();
    await this.loop;
  }
}

/** An entry trimmed from the stream while pending comes back without fields: it is acknowledged and skipped. */
function entriesOf(raw: Array<[string, string[] | null]>): RawEntry[] {
  return raw.map(([id, fields]) => [id, fields ?? []]);
}
