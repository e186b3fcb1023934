// The request side shared by GET /v1/events and GET /v1/jobs/{id}/events: filters, the
// resume point (Last-Event-ID header, or `since` for clients that cannot set headers; the
// header wins, since a reconnecting EventSource sends it while its URL keeps `since`).
import { z } from '@hono/zod-openapi';
import { EVENT_TYPES, StreamIdSchema } from '../core/events.ts';

const TYPE_FILTERS: readonly string[] = [...EVENT_TYPES, 'job.', 'landing.'];

export const EventTypeFilterSchema = z
  .string()
  .refine((type) => TYPE_FILTERS.includes(type), `must be an event type (${EVENT_TYPES.join(', ')}) or a prefix: job. or landing.`)
  .openapi({ description: 'An event type, or a prefix ending in "." (job., landing.).', example: 'job.' });

/**
 * How far ahead of this process's clock an id (or a job's creation time) may be and still be
 * taken for Redis's: the stream's ids are Redis's clock, the API's is another machine's.
 */
export const CLOCK_SKEW_ALLOWANCE_MS = 5 * 60_000;

/**
 * A resume point no event can have yet (a mistyped id, one of another system's clocks) would
 * hold the stream silent until the clock passed it, for years maybe: it is refused instead.
 */
const ResumeIdSchema = StreamIdSchema.refine(
  (id) => Number(id.slice(0, id.indexOf('-'))) <= Date.now() + CLOCK_SKEW_ALLOWANCE_MS,
  'is later than any event can be (its time, the part before "-", is ahead of the server\'s clock): resume from an id an event carried, or leave it out to follow live',
);

export const SinceSchema = ResumeIdSchema.optional().openapi({
  description: 'Resume after this event id (as Last-Event-ID does; the header wins when both are sent). "0-0" replays every event still kept.',
  example: '1733030000000-0',
});

export const LastEventIdHeadersSchema = z.object({
  'last-event-id': ResumeIdSchema.optional().openapi({ description: 'Resume after this event id (sent by EventSource when it reconnects).' }),
});

export const EVENTS_DESCRIPTION =
  'A text/event-stream: `id:` is the event id, `event:` its type, `data:` the event as JSON (the SluiceEvent schema of this document). ' +
  'An `event: gap` (no id) first says that events after the resume point were trimmed from the stream before they could be sent. ' +
  'A comment is sent every 15 s when nothing else is.';
