// POST /v1/queues/{name}/pause and /resume — admin only. Pause stops workers taking new
// steps (running Spark jobs carry on); resume lets them take steps again. One route factory
// for both: they differ only in the verb.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { bodyLimitResponse, problemResponse, unavailableResponse } from '../problem.ts';
import { QueueNameParamsSchema, QueueViewSchema } from '../schemas.ts';

type Action = 'pause' | 'resume';

export function queueControlRoute(action: Action) {
  return createRoute({
    method: 'post',
    path: `/v1/queues/{name}/${action}`,
    operationId: `${action}Queue`,
    tags: ['queues'],
    summary: `${action === 'pause' ? 'Pause' : 'Resume'} a queue`,
    ...protect('admin'),
    request: { params: QueueNameParamsSchema },
    responses: {
      200: { description: 'The queue after the change.', content: { 'application/json': { schema: QueueViewSchema } } },
      ...authResponses,
      ...bodyLimitResponse,
      ...unavailableResponse,
      404: problemResponse('No such queue.'),
      422: problemResponse('Not a queue name.'),
    },
  });
}

export function queueControl(deps: ApiDeps, action: Action): RouteHandler<ReturnType<typeof queueControlRoute>, ApiEnv> {
  return async (c) => {
    const name = c.req.valid('param').name;
    const before = await deps.queues.counts();
    if (name !== before.name) throw new NotFoundError('queue', name);
    await deps.queues[action]();
    c.var.log.info({ queue: name, action, keyName: c.var.principal?.name }, 'queue control');
    return c.json(await deps.queues.counts(), 200);
  };
}
