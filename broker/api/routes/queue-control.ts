// POST /v1/queues/{name}/pause and /resume — admin only. Pause holds launches: no queued job
// starts a run until resume, while jobs already started go on as ever (watched to their end,
// loaded, cancelled, timed out). Resume starts the held jobs at once (ADR 0025). One route
// factory for both: they differ only in the verb.
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
    description:
      action === 'pause'
        ? 'Holds launches: queued jobs stay queued (their queued timeout still runs) and no new Spark run starts. Jobs already launched go on: their runs are watched to the end and loaded, and cancels and stage timeouts are honoured.'
        : 'Lets queued jobs launch again, the held ones at once, in priority order as run slots allow.',
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
