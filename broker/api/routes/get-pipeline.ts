// GET /v1/pipelines/{name} — one pipeline as loaded (defaults filled in, durations in ms).
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse } from '../problem.ts';
import { PipelineNameParamsSchema, PipelineResponseSchema } from '../schemas.ts';

export const getPipelineRoute = createRoute({
  method: 'get',
  path: '/v1/pipelines/{name}',
  operationId: 'getPipeline',
  tags: ['pipelines'],
  summary: 'Get a pipeline',
  ...protect('jobs:read'),
  request: { params: PipelineNameParamsSchema },
  responses: {
    200: { description: 'The pipeline.', content: { 'application/json': { schema: PipelineResponseSchema } } },
    ...authResponses,
    404: problemResponse('No such pipeline.'),
    422: problemResponse('Not a pipeline name.'),
  },
});

export function getPipeline(deps: ApiDeps): RouteHandler<typeof getPipelineRoute, ApiEnv> {
  return (c) => {
    const name = c.req.valid('param').name;
    const pipeline = deps.pipelines.get(name);
    if (!pipeline) throw new NotFoundError('pipeline', name);
    return c.json(pipeline, 200);
  };
}
