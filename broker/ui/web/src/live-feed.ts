// The live event feed (GET /v1/events or /v1/jobs/{id}/events, ADR 0015) as a page uses it.
//
// A dropped connection is reconnected by the browser itself, which sends Last-Event-ID so no
// event is missed. But an EventSource gives up for good when the answer is not a stream (a
// 503 while Redis is away, a restarting API): then this feed opens a new one after a backoff,
// resuming with `since=<last id>`. Either way the page is told the feed was lost, and told
// again when it is back so it can re-read the current truth: events alone cannot say what
// happened while nobody was listening (a gap, or a trimmed stream).
import type { SluiceEvent } from './api.ts';

export type FeedStatus = 'connecting' | 'live' | 'lost';

export type FeedHandlers = {
  event(event: SluiceEvent): void;
  status(status: FeedStatus): void;
  /** The feed is back after a loss (or said events were trimmed): re-read what the page shows. */
  resync(): void;
  /** The server refused the stream (not a network drop): before trying again, see whether the session ended. */
  refused(): void;
};

const TYPES = [
  'job.queued',
  'job.launching',
  'job.running',
  'job.loading',
  'job.succeeded',
  'job.failed',
  'job.cancelled',
  'landing.seen',
  'landing.ready',
  'landing.batched',
  'landing.done',
  'landing.quarantined',
] as const;

const MAX_BACKOFF_MS = 15_000;

export class LiveFeed {
  private source: EventSource | undefined;
  private lastId: string | undefined;
  private lost = false;
  private stopped = false;
  private backoffMs = 1_000;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `path` with its query, e.g. /v1/events?type=job. */
  constructor(
    private readonly path: string,
    private readonly handlers: FeedHandlers,
  ) {}

  start(): void {
    this.open();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.source?.close();
  }

  private open(): void {
    if (this.stopped) return;
    const url = new URL(this.path, location.origin);
    if (this.lastId) url.searchParams.set('since', this.lastId);
    const source = new EventSource(url.toString(), { withCredentials: true });
    this.source = source;
    this.handlers.status(this.lost ? 'lost' : 'connecting');
    source.onopen = () => {
      this.backoffMs = 1_000;
      this.handlers.status('live');
      if (this.lost) {
        this.lost = false;
        this.handlers.resync();
      }
    };
    source.onerror = () => {
      if (this.stopped) return;
      this.lost = true;
      this.handlers.status('lost');
      // CONNECTING: the browser retries by itself (with Last-Event-ID). CLOSED: it gave up.
      if (source.readyState === EventSource.CLOSED) {
        this.handlers.refused();
        clearTimeout(this.timer);
        this.timer = setTimeout(() => this.open(), this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      }
    };
    for (const type of TYPES) {
      source.addEventListener(type, (message) => {
        const frame = message as MessageEvent<string>;
        if (frame.lastEventId) this.lastId = frame.lastEventId;
        try {
          this.handlers.event(JSON.parse(frame.data) as SluiceEvent);
        } catch {
          // A frame this page cannot read is skipped; the next re-read shows the truth.
        }
      });
    }
    source.addEventListener('gap', () => this.handlers.resync());
  }
}
