// GET /v1/queues — the work queue's counts by state and whether it is paused.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { unavailableResponse } from '../problem.ts';
import { QueueListSchema } from '../schemas.ts';

export const listQueuesRoute = createRoute({
  method: 'get',
  path: '/v1/queues',
  operationId: 'listQueues',
  tags: ['queues'],
  summary: 'List queues with their counts',
  ...protect('jobs:read'),
  responses: {
    200: { description: 'The queues.', content: { 'application/json': { schema: QueueListSchema } } },
    ...authResponses,
    ...unavailableResponse,
  },
});

export function listQueues(deps: ApiDeps): RouteHandler<typeof listQueuesRoute, ApiEnv> {
  return async (c) => c.json({ items: [await deps.queues.counts()] }, 200);
}
