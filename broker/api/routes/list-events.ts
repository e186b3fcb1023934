// GET /v1/events — job and landing events as Server-Sent Events, live or resumed after an
// event id, filtered by pipeline, job and type (docs/adr/0015-event-stream.md).
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { NameSchema } from '../../core/pipeline.ts';
import { EVENTS_DESCRIPTION, EventTypeFilterSchema, LastEventIdHeadersSchema, SinceSchema } from '../../events/event-query.ts';
import { eventsResponse } from '../../events/sse-response.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema } from '../schemas.ts';

const QuerySchema = z.strictObject({
  pipeline: NameSchema.optional(),
  job: JobIdParamsSchema.shape.id.optional().openapi({ param: { name: 'job', in: 'query' } }),
  type: EventTypeFilterSchema.optional(),
  since: SinceSchema,
});

export const listEventsRoute = createRoute({
  method: 'get',
  path: '/v1/events',
  operationId: 'listEvents',
  tags: ['jobs'],
  summary: 'Follow job and landing events (SSE)',
  ...protect('jobs:read'),
  request: { query: QuerySchema, headers: LastEventIdHeadersSchema },
  responses: {
    200: { description: EVENTS_DESCRIPTION, content: { 'text/event-stream': { schema: z.string() } } },
    ...authResponses,
    ...unavailableResponse,
    422: problemResponse('An invalid filter or event id.'),
  },
});

export function listEvents(deps: ApiDeps): RouteHandler<typeof listEventsRoute, ApiEnv> {
  return async (c) => {
    const { pipeline, job, type, since } = c.req.valid('query');
    const after = c.req.valid('header')['last-event-id'] ?? since;
    const filter = { ...(pipeline ? { pipeline } : {}), ...(job ? { jobId: job } : {}), ...(type ? { type } : {}) };
    // Typed as the route's text response: streamSSE answers text/event-stream.
    return (await eventsResponse(c, deps.events, filter, after, c.var.log)) as unknown as ReturnType<typeof c.text<string, 200>>;
  };
}
