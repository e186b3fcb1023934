// One client's feed: the events after its resume point, then the live ones, each once and in
// order. It subscribes to the hub first (holding what the hub delivers), then reads the
// history from the stream up to the hub's position, then sends what it held that came after
// the last id it read; an id is never sent twice because every send moves a cursor that
// only goes forward. Written against a small sink so that the SSE framing stays apart.
import { matchesFilter, type EventFilter, type SluiceEvent } from '../core/events.ts';
import { isAfter, type EventHub } from './event-hub.ts';
import type { EventStream } from './event-stream.ts';

export type FeedSink = {
  /** Sends events in order, in one write (a batch read from the stream or from the hub). */
  events(events: SluiceEvent[]): Promise<void>;
  /** Some events after `after` were trimmed before this client read them (see ADR 0015). */
  gap(info: { after: string; oldest: string | undefined }): Promise<void>;
  comment(text: string): Promise<void>;
};

export type FeedEnd = 'client-gone' | 'shutdown' | 'too-slow';

export type FeedOptions = {
  stream: Pick<EventStream, 'after'>;
  hub: Pick<EventHub, 'subscribe'>;
  filter: EventFilter;
  /** Send the events after this id. */
  after: string;
  /** The stream's last id, read just before (the hub starts there if it is not running yet). */
  streamLastId: string;
  /** When set, a gap is announced first: the oldest id still kept. */
  missed?: { oldest: string | undefined };
  sink: FeedSink;
  signal: AbortSignal;
  /** A comment this often when nothing else was sent, so proxies keep the connection. */
  keepAliveMs?: number;
  /** Events held for a client that does not read them; past this it is dropped (it resumes with Last-Event-ID). */
  maxPending?: number;
  pageSize?: number;
  /** Told at once when the feed decides to end (a sink stuck on a write that will never finish lets go). */
  onEnd?: (why: FeedEnd) => void;
};

export const KEEP_ALIVE_MS = 15_000;
export const MAX_PENDING_EVENTS = 10_000;

export async function runFeed(options: FeedOptions): Promise<FeedEnd> {
  const { stream, hub, filter, sink, signal } = options;
  const keepAliveMs = options.keepAliveMs ?? KEEP_ALIVE_MS;
  const maxPending = options.maxPending ?? MAX_PENDING_EVENTS;
  const pageSize = options.pageSize ?? 500;
  let pending: SluiceEvent[] = [];
  let ended: FeedEnd | undefined;
  let wake: (() => void) | undefined;
  const end = (why: FeedEnd): void => {
    if (ended) return;
    ended = why;
    options.onEnd?.(why);
    wake?.();
  };
  const onAbort = (): void => end('client-gone');
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) end('client-gone');
  const subscription = hub.subscribe(
    {
      filter,
      deliver: (events) => {
        pending.push(...events);
        if (pending.length > maxPending) end('too-slow');
        wake?.();
      },
      closed: () => end('shutdown'),
    },
    options.streamLastId,
  );
  try {
    await sink.comment('subscribed');
    if (options.missed) await sink.gap({ after: options.after, oldest: options.missed.oldest });
    // History up to the hub's position; beyond it the hub delivers.
    let cursor = options.after;
    while (!ended && isAfter(subscription.position, cursor)) {
      const page = await stream.after(cursor, pageSize);
      const matching = page.events.filter((event) => matchesFilter(event, filter));
      if (matching.length > 0 && !ended) await sink.events(matching);
      cursor = page.lastId;
      if (!page.full) break;
    }
    let lastWrite = Date.now();
    while (!ended) {
      if (pending.length > 0) {
        const fresh = pending.filter((event) => isAfter(event.id, cursor));
        pending = [];
        if (fresh.length > 0) {
          cursor = fresh.at(-1)!.id;
          await sink.events(fresh);
          lastWrite = Date.now();
        }
        continue;
      }
      const idle = Date.now() - lastWrite;
      if (idle >= keepAliveMs) {
        await sink.comment('keep-alive');
        lastWrite = Date.now();
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, keepAliveMs - idle);
      });
      wake = undefined;
      clearTimeout(timer);
    }
  } catch (error) {
    // A write to a client that went away fails: that is its end, not an error.
    if (!signal.aborted && !ended) throw error;
    ended ??= 'client-gone';
  } finally {
    subscription.unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
  return ended ?? 'client-gone';
}
