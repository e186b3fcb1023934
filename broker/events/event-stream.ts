// Reading the event stream's history (non-blocking commands, over the API's fail-fast
// connection): where it starts and ends, whether a resume point fell off the trimmed end, and
// pages of events after an id. Following it live is event-hub.ts's job.
import type { Redis } from 'ioredis';
import { compareStreamIds, eventOfEntry, type EntryFields, type SluiceEvent } from '../core/events.ts';

/** The stream's ends; an absent stream (nothing happened yet) reads as empty at "0-0". */
export type StreamBounds = { firstId?: string; lastId: string; trimmed: boolean };

export type RawEntry = [id: string, fields: EntryFields];

/** The parsed events of raw entries, skipping any this version cannot read. */
export function eventsOf(entries: RawEntry[]): SluiceEvent[] {
  const events: SluiceEvent[] = [];
  for (const [id, fields] of entries) {
    const event = eventOfEntry(id, fields);
    if (event) events.push(event);
  }
  return events;
}

export class EventStream {
  constructor(
    private readonly redis: Redis,
    readonly key: string,
  ) {}

  async bounds(): Promise<StreamBounds> {
    let info: unknown[];
    try {
      info = (await this.redis.call('XINFO', 'STREAM', this.key)) as unknown[];
    } catch (error) {
      if (error instanceof Error && /no such key/i.test(error.message)) return { lastId: '0-0', trimmed: false };
      throw error;
    }
    const field = (name: string): unknown => info[info.indexOf(name) + 1];
    const first = field('first-entry') as RawEntry | null;
    return {
      ...(first ? { firstId: first[0] } : {}),
      lastId: String(field('last-generated-id')),
      // Entries ever added beyond those kept: MAXLEN trimmed some (it does not record which).
      trimmed: Number(field('entries-added')) > Number(field('length')),
    };
  }

  /** Up to `count` events after `afterId` (exclusive), oldest first, and the last id read (skipped entries included). */
  async after(afterId: string, count: number): Promise<{ events: SluiceEvent[]; lastId: string; full: boolean }> {
    const entries = (await this.redis.xrange(this.key, `(${afterId}`, '+', 'COUNT', count)) as RawEntry[];
    return { events: eventsOf(entries), lastId: entries.at(-1)?.[0] ?? afterId, full: entries.length === count };
  }
}

/**
 * Whether a client resuming after `afterId` may have missed events: the stream was trimmed
 * and its oldest kept entry is newer than the next one the client needs. MAXLEN does not say
 * which ids it removed, so a client whose last event was exactly the last one trimmed hears of
 * a gap it did not have: the answer errs towards telling.
 */
export function missedAfter(bounds: StreamBounds, afterId: string): boolean {
  return bounds.trimmed && bounds.firstId !== undefined && compareStreamIds(afterId, bounds.firstId) < 0;
}
