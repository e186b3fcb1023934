// POST /v1/queues/{name}/resume — admin only. Lets workers take steps again.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse } from '../problem.ts';
import { QueueNameParamsSchema, QueueViewSchema } from '../schemas.ts';

export const resumeQueueRoute = createRoute({
  method: 'post',
  path: '/v1/queues/{name}/resume',
  operationId: 'resumeQueue',
  tags: ['queues'],
  summary: 'Resume a queue',
  ...protect('admin'),
  request: { params: QueueNameParamsSchema },
  responses: {
    200: { description: 'The queue after the change.', content: { 'application/json': { schema: QueueViewSchema } } },
    ...authResponses,
    404: problemResponse('No such queue.'),
  },
});

export function resumeQueue(deps: ApiDeps): RouteHandler<typeof resumeQueueRoute, ApiEnv> {
  return async (c) => {
    const name = c.req.valid('param').name;
    const before = await deps.queues.counts();
    if (name !== before.name) throw new NotFoundError('queue', name);
    await deps.queues.resume();
    c.var.log.info({ queue: name, keyName: c.var.principal?.name }, 'queue resumed');
    return c.json(await deps.queues.counts(), 200);
  };
}
