// GET /v1/jobs/{id}/events — one job's events as Server-Sent Events: from its creation (or
// after Last-Event-ID), then live; the stream stays open, since a failed job may be retried.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { CLOCK_SKEW_ALLOWANCE_MS, EVENTS_DESCRIPTION, EventTypeFilterSchema, LastEventIdHeadersSchema, SinceSchema } from '../../events/event-query.ts';
import { eventsResponse } from '../../events/sse-response.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema } from '../schemas.ts';

const QuerySchema = z.strictObject({
  type: EventTypeFilterSchema.optional(),
  since: SinceSchema,
});

export const jobEventsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  operationId: 'getJobEvents',
  tags: ['jobs'],
  summary: "Follow a job's events (SSE)",
  ...protect('jobs:read'),
  request: { params: JobIdParamsSchema, query: QuerySchema, headers: LastEventIdHeadersSchema },
  responses: {
    200: { description: EVENTS_DESCRIPTION, content: { 'text/event-stream': { schema: z.string() } } },
    ...authResponses,
    ...unavailableResponse,
    404: problemResponse('No such job.'),
    422: problemResponse('An invalid job id, filter or event id.'),
  },
});

export function jobEvents(deps: ApiDeps): RouteHandler<typeof jobEventsRoute, ApiEnv> {
  return async (c) => {
    const job = await deps.jobs.get(c.req.valid('param').id);
    const { type, since } = c.req.valid('query');
    // A job's first event is written within moments of its createdAt, but by Redis's clock (the
    // stream id), which may differ from the clock of the process that created the job.
    const after = c.req.valid('header')['last-event-id'] ?? since ?? `${Math.max(0, Date.parse(job.createdAt) - CLOCK_SKEW_ALLOWANCE_MS)}-0`;
    const filter = { jobId: job.id, ...(type ? { type } : {}) };
    return (await eventsResponse(c, deps.events, filter, after, c.var.log)) as unknown as ReturnType<typeof c.text<string, 200>>;
  };
}
