// GET /v1/pipelines/{name} — one pipeline as loaded (defaults filled in, durations in ms),
// with its schedule's next tick times when it has one.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import { NotFoundError } from '../../core/errors.ts';
import type { Pipeline } from '../../core/pipeline.ts';
import { nextRunTimes } from '../../schedules/schedule-times.ts';
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
    return c.json(pipelineView(pipeline, new Date()), 200);
  };
}

/** A pipeline as the API shows it: a scheduled one gains its next run times. */
export function pipelineView(pipeline: Pipeline, now: Date): Pipeline & { nextRuns?: string[] } {
  if (!pipeline.schedule) return pipeline;
  return { ...pipeline, nextRuns: nextRunTimes(pipeline.schedule, now).map((at) => at.toISOString()) };
}
