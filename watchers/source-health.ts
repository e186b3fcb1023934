// What on-call asks first when landings stop: "is the watcher still looking?". Each watching
// process records, per source, when it last listed it (how many files, how long it took) and
// the last error, in one Redis hash the API reads (GET /v1/watchers). Several processes may
// watch the same source: the latest listing wins, which is what matters (someone looked).
import type { Redis } from 'ioredis';

export type SourceHealthRecord = {
  /** When the last listing of the source ended well (ISO). */
  lastListingAt?: string;
  /** Files the source held at that listing. */
  files?: number;
  /** How long that listing took (ms). */
  listingMs?: number;
  /** The last error and when (cleared by the next good listing). */
  error?: string;
  errorAt?: string;
  /** The host and pid that wrote this record. */
  process: string;
};

/** The hash: source id → JSON SourceHealthRecord. */
export const sourceHealthKey = (prefix: string): string => `${prefix}:watchers:health`;

/** Longest error text kept: the log has the rest. */
const MAX_ERROR = 500;

export class SourceHealth {
  constructor(
    private readonly redis: Pick<Redis, 'hget' | 'hset' | 'hgetall'>,
    private readonly prefix: string,
    private readonly process: string,
    private readonly now: () => number = Date.now,
  ) {}

  async listed(source: string, listing: { files: number; ms: number }): Promise<void> {
    const record: SourceHealthRecord = { lastListingAt: new Date(this.now()).toISOString(), files: listing.files, listingMs: Math.round(listing.ms), process: this.process };
    await this.redis.hset(sourceHealthKey(this.prefix), source, JSON.stringify(record));
  }

  async failed(source: string, error: string): Promise<void> {
    const previous = await this.read(source);
    const text = error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error;
    const record: SourceHealthRecord = { ...previous, error: text, errorAt: new Date(this.now()).toISOString(), process: this.process };
    await this.redis.hset(sourceHealthKey(this.prefix), source, JSON.stringify(record));
  }

  async read(source: string): Promise<SourceHealthRecord | undefined> {
    const raw = await this.redis.hget(sourceHealthKey(this.prefix), source);
    return raw ? (JSON.parse(raw) as SourceHealthRecord) : undefined;
  }

  async all(): Promise<Map<string, SourceHealthRecord>> {
    const raw = await this.redis.hgetall(sourceHealthKey(this.prefix));
    return new Map(Object.entries(raw).map(([source, json]) => [source, JSON.parse(json) as SourceHealthRecord]));
  }
}
