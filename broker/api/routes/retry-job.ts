// POST /v1/jobs/{id}/retry — runs a failed or cancelled job again as a new attempt.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { jobView } from '../job-view.ts';
import { authResponses, protect } from '../auth.ts';
import { bodyLimitResponse, problemResponse, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema, JobViewSchema } from '../schemas.ts';

export const retryJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/retry',
  operationId: 'retryJob',
  tags: ['jobs'],
  summary: 'Retry a failed or cancelled job',
  ...protect('jobs:write'),
  request: { params: JobIdParamsSchema },
  responses: {
    202: { description: 'Queued again as a new attempt (back to loading alone when only the load failed).', content: { 'application/json': { schema: JobViewSchema } } },
    ...authResponses,
    ...bodyLimitResponse,
    ...unavailableResponse,
    404: problemResponse('No such job.'),
    409: problemResponse('The job is neither failed nor cancelled.'),
    422: problemResponse('Not a job id.'),
  },
});

export function retryJob(deps: ApiDeps): RouteHandler<typeof retryJobRoute, ApiEnv> {
  return async (c) => {
    // Who retried it, as a cancel says who cancelled: the job's history answers "who did this" at 3 a.m.
    const job = await deps.jobs.retry(c.req.valid('param').id, `API key "${c.var.principal?.name ?? 'unknown'}"`);
    c.var.log.info({ jobId: job.id, attempt: job.attempt }, 'job retried');
    return c.json(jobView(job), 202);
  };
}
