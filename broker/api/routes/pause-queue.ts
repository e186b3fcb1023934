// POST /v1/queues/{name}/pause — admin only. Stops workers taking new steps; running Spark jobs carry on.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse } from '../problem.ts';
import { QueueNameParamsSchema, QueueViewSchema } from '../schemas.ts';

export const pauseQueueRoute = createRoute({
  method: 'post',
  path: '/v1/queues/{name}/pause',
  operationId: 'pauseQueue',
  tags: ['queues'],
  summary: 'Pause a queue',
  ...protect('admin'),
  request: { params: QueueNameParamsSchema },
  responses: {
    200: { description: 'The queue after the change.', content: { 'application/json': { schema: QueueViewSchema } } },
    ...authResponses,
    404: problemResponse('No such queue.'),
  },
});

export function pauseQueue(deps: ApiDeps): RouteHandler<typeof pauseQueueRoute, ApiEnv> {
  return async (c) => {
    const name = c.req.valid('param').name;
    const before = await deps.queues.counts();
    if (name !== before.name) throw new NotFoundError('queue', name);
    await deps.queues.pause();
    c.var.log.info({ queue: name, keyName: c.var.principal?.name }, 'queue paused');
    return c.json(await deps.queues.counts(), 200);
  };
}
