// The SSE side of GET /v1/events and GET /v1/jobs/{id}/events: `id:` is the stream id,
// `event:` the type, `data:` the event as JSON; a `gap` event (no id) says events were
// trimmed before this client read them; comments keep the connection alive.
import type { Context } from 'hono';
import type { Logger } from 'pino';
import type { EventFilter, SluiceEvent } from '../core/events.ts';
import type { EventHub } from './event-hub.ts';
import { runFeed } from './event-feed.ts';
import { missedAfter, type EventStream } from './event-stream.ts';

/** What the API needs to serve events: history reads (fail-fast connection) and the process's hub. */
export type EventFeeds = { stream: EventStream; hub: EventHub };

/** How long a browser's EventSource waits before reconnecting (it then sends Last-Event-ID). */
const RETRY_MS = 2_000;

/**
 * An event's SSE frame, made once however many clients it goes to (the hub hands every
 * subscriber the same event objects). Data is one line: JSON has no raw newlines.
 */
const frames = new WeakMap<SluiceEvent, string>();
function frameOf(event: SluiceEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    frame = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

/**
 * Answers with the feed. The stream's bounds are read first, on the fail-fast connection, so
 * that with Redis away the request gets a 503 problem (problem.ts) rather than a stream that
 * never speaks. `after` undefined means live: from the stream's current end.
 *
 * The body is a plain ReadableStream fed by the feed (no writer and transform stream between
 * them, as hono's streamSSE has): with many clients, each event is written to each of them,
 * and those layers were most of the API's cost per write.
 */
export async function eventsResponse(c: Context, feeds: EventFeeds, filter: EventFilter, after: string | undefined, log: Logger): Promise<Response> {
  const bounds = await feeds.stream.bounds();
  const from = after ?? bounds.lastId;
  const missed = after !== undefined && missedAfter(bounds, after);
  const gone = new AbortController();
  const requestSignal = c.req.raw.signal;
  const onGone = (): void => gone.abort();
  requestSignal.addEventListener('abort', onGone, { once: true });
  let drained: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // Waits while the client's buffer is full (a slow reader), so that the feed holds its
      // events and drops the client past its limit rather than this stream buffering forever.
      const send = async (text: string): Promise<void> => {
        if (gone.signal.aborted) throw new Error('client gone');
        controller.enqueue(Buffer.from(text));
        while ((controller.desiredSize ?? 1) <= 0 && !gone.signal.aborted) await new Promise<void>((resolve) => (drained = resolve));
      };
      log.debug({ filter }, 'event feed started');
      void (async () => {
        try {
          await send(`retry: ${RETRY_MS}\n\n`);
          const end = await runFeed({
            stream: feeds.stream,
            hub: feeds.hub,
            filter,
            after: from,
            streamLastId: bounds.lastId,
            ...(missed ? { missed: { oldest: bounds.firstId } } : {}),
            signal: gone.signal,
            // A client dropped for being too slow may be stuck in a write: release it.
            onEnd: () => gone.abort(),
            sink: {
              events: (events) => send(events.map(frameOf).join('')),
              gap: (info) => send(`event: gap\ndata: ${JSON.stringify(info)}\n\n`),
              comment: (text) => send(`: ${text}\n\n`),
            },
          });
          log.debug({ end }, 'event feed ended');
        } catch (error) {
          log.warn({ err: (error as Error).message }, 'event feed failed');
        } finally {
          requestSignal.removeEventListener('abort', onGone);
          try {
            controller.close();
          } catch {
            // Already cancelled by the client.
          }
        }
      })();
    },
    pull() {
      drained?.();
    },
    cancel() {
      gone.abort();
      drained?.();
    },
  });
  gone.signal.addEventListener('abort', () => drained?.(), { once: true });
  return new Response(body, {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' },
  });
}
