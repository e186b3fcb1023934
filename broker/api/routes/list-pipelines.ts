// GET /v1/pipelines — every loaded pipeline, validated, by name.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { PipelineListSchema } from '../schemas.ts';

export const listPipelinesRoute = createRoute({
  method: 'get',
  path: '/v1/pipelines',
  operationId: 'listPipelines',
  tags: ['pipelines'],
  summary: 'List pipelines',
  ...protect('jobs:read'),
  responses: {
    200: { description: 'The pipelines, by name.', content: { 'application/json': { schema: PipelineListSchema } } },
    ...authResponses,
  },
});

export function listPipelines(deps: ApiDeps): RouteHandler<typeof listPipelinesRoute, ApiEnv> {
  return (c) => c.json({ items: deps.pipelines.list() }, 200);
}
