// The feed's ordering rules with in-memory stand-ins for the stream and the hub (the real
// ones, over Redis, are in test/integration/events.test.ts).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareStreamIds, type SluiceEvent } from '../core/events.ts';
import type { EventSubscriber } from './event-hub.ts';
import { KEEP_ALIVE_MS, MAX_PENDING_EVENTS, runFeed, type FeedSink } from './event-feed.ts';

const ev = (n: number, extra: Partial<SluiceEvent> = {}): SluiceEvent => ({
  id: `${n}-0`,
  type: 'job.running',
  time: new Date(n).toISOString(),
  state: 'running',
  pipeline: 'sales',
  jobId: `j${n}`,
  ...extra,
});

/** A stream holding `events`, read in pages as XRANGE would. */
function memoryStream(events: SluiceEvent[]) {
  return {
    async after(afterId: string, count: number) {
      const later = events.filter((event) => compareStreamIds(event.id, afterId) > 0).slice(0, count);
      return { events: later, lastId: later.at(-1)?.id ?? afterId, full: later.length === count };
    },
  };
}

/** A hub whose position and deliveries the test controls. */
function memoryHub(position: string) {
  const subscribers = new Set<EventSubscriber>();
  return {
    subscribers,
    subscribe(subscriber: EventSubscriber) {
      subscribers.add(subscriber);
      return { position, unsubscribe: () => void subscribers.delete(subscriber) };
    },
    deliver(events: SluiceEvent[]) {
      for (const subscriber of subscribers) subscriber.deliver(events.filter((e) => !subscriber.filter.pipeline || e.pipeline === subscriber.filter.pipeline));
    },
  };
}

function recordingSink() {
  const sent: string[] = [];
  const comments: string[] = [];
  let gaps = 0;
  const sink: FeedSink = {
    events: async (events) => void sent.push(...events.map((event) => event.id)),
    gap: async () => void (gaps += 1),
    comment: async (text) => void comments.push(text),
  };
  return { sink, sent, comments, gaps: () => gaps };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => vi.useRealTimers());

describe('an event feed', () => {
  it('sends the history after the resume point, then live events, each once and in order, although the hub re-delivers what history covered', async () => {
    const history = [ev(1), ev(2), ev(3), ev(4)];
    const hub = memoryHub('3-0'); // the hub had read up to 3 when the client subscribed
    const { sink, sent } = recordingSink();
    const stop = new AbortController();
    const feed = runFeed({ stream: memoryStream(history), hub, filter: {}, after: '1-0', streamLastId: '4-0', sink, signal: stop.signal, pageSize: 2 });
    hub.deliver([ev(4), ev(5)]); // 4 was read by history too
    await settle();
    hub.deliver([ev(6)]);
    await settle();
    stop.abort();
    expect(await feed).toBe('client-gone');
    expect(sent).toEqual(['2-0', '3-0', '4-0', '5-0', '6-0']);
    expect(hub.subscribers.size).toBe(0);
  });

  it('applies the filter to the history as to live events', async () => {
    const history = [ev(1), ev(2, { pipeline: 'other' }), ev(3)];
    const hub = memoryHub('3-0');
    const { sink, sent } = recordingSink();
    const stop = new AbortController();
    const feed = runFeed({ stream: memoryStream(history), hub, filter: { pipeline: 'sales' }, after: '0-0', streamLastId: '3-0', sink, signal: stop.signal });
    hub.deliver([ev(4, { pipeline: 'other' }), ev(5)]);
    await settle();
    stop.abort();
    await feed;
    expect(sent).toEqual(['1-0', '3-0', '5-0']);
  });

  it('announces a gap before anything else when the resume point was trimmed', async () => {
    const { sink, sent, gaps } = recordingSink();
    const stop = new AbortController();
    const feed = runFeed({ stream: memoryStream([ev(7)]), hub: memoryHub('7-0'), filter: {}, after: '2-0', streamLastId: '7-0', missed: { oldest: '7-0' }, sink, signal: stop.signal });
    await settle();
    stop.abort();
    await feed;
    expect(gaps()).toBe(1);
    expect(sent).toEqual(['7-0']);
  });

  it('ends when the hub closes (shutdown) and unsubscribes', async () => {
    const hub = memoryHub('0-0');
    const { sink } = recordingSink();
    const feed = runFeed({ stream: memoryStream([]), hub, filter: {}, after: '0-0', streamLastId: '0-0', sink, signal: new AbortController().signal });
    await settle();
    for (const subscriber of hub.subscribers) subscriber.closed();
    expect(await feed).toBe('shutdown');
    expect(hub.subscribers.size).toBe(0);
  });

  it('sends a keep-alive comment after 15 s without events', async () => {
    vi.useFakeTimers();
    const { sink, comments } = recordingSink();
    const stop = new AbortController();
    const feed = runFeed({ stream: memoryStream([]), hub: memoryHub('0-0'), filter: {}, after: '0-0', streamLastId: '0-0', sink, signal: stop.signal });
    await vi.advanceTimersByTimeAsync(KEEP_ALIVE_MS - 100);
    expect(comments).toEqual(['subscribed']);
    await vi.advanceTimersByTimeAsync(200);
    expect(comments).toEqual(['subscribed', 'keep-alive']);
    stop.abort();
    await feed;
  });

  it('drops a client that holds more than 10,000 unsent events (it resumes with Last-Event-ID)', async () => {
    const hub = memoryHub('0-0');
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const sink: FeedSink = { events: () => blocked, gap: async () => undefined, comment: async () => undefined };
    const told: string[] = [];
    const feed = runFeed({ stream: memoryStream([]), hub, filter: {}, after: '0-0', streamLastId: '0-0', sink, signal: new AbortController().signal, onEnd: (why) => told.push(why) });
    await settle();
    hub.deliver([ev(1)]); // the client stalls on this one
    await settle();
    hub.deliver(Array.from({ length: MAX_PENDING_EVENTS + 1 }, (_, i) => ev(i + 2)));
    // Told while the write is still stuck, so that the response can give it up.
    expect(told).toEqual(['too-slow']);
    release();
    expect(await feed).toBe('too-slow');
  });
});
