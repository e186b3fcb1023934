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

export const SinceSchema = StreamIdSchema.optional().openapi({
  description: 'Resume after this event id (as Last-Event-ID does; the header wins when both are sent). "0-0" replays every event still kept.',
  example: '1733030000000-0',
});

export const LastEventIdHeadersSchema = z.object({
  'last-event-id': StreamIdSchema.optional().openapi({ description: 'Resume after this event id (sent by EventSource when it reconnects).' }),
});

export const EVENTS_DESCRIPTION =
  'A text/event-stream: `id:` is the event id, `event:` its type, `data:` the event as JSON (the SluiceEvent schema of this document). ' +
  'An `event: gap` (no id) first says that events after the resume point were trimmed from the stream before they could be sent. ' +
  'A comment is sent every 15 s when nothing else is.';
