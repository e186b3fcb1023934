// GET /v1/jobs/{id} — the job with its history and the stage it is in.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { jobView } from '../job-view.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema, JobViewSchema } from '../schemas.ts';

export const getJobRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  operationId: 'getJob',
  tags: ['jobs'],
  summary: 'Get a job',
  ...protect('jobs:read'),
  request: { params: JobIdParamsSchema },
  responses: {
    200: { description: 'The job.', content: { 'application/json': { schema: JobViewSchema } } },
    ...authResponses,
    ...unavailableResponse,
    404: problemResponse('No such job.'),
    422: problemResponse('Not a job id.'),
  },
});

export function getJob(deps: ApiDeps): RouteHandler<typeof getJobRoute, ApiEnv> {
  return async (c) => {
    const job = await deps.jobs.get(c.req.valid('param').id);
    return c.json(jobView(job), 200);
  };
}
