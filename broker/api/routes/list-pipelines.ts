// GET /v1/pipelines — every loaded pipeline, validated, by name (a scheduled one with its next run times).
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { PipelineListSchema } from '../schemas.ts';
import { pipelineView } from './get-pipeline.ts';

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
  return (c) => {
    const now = new Date();
    return c.json({ items: deps.pipelines.list().map((pipeline) => pipelineView(pipeline, now)) }, 200);
  };
}
