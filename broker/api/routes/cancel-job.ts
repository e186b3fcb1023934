// POST /v1/jobs/{id}/cancel — a queued job is cancelled at once; a running one is marked and
// its worker stops the Spark run, so the answer is 202 with the job as it stands.
import { createRoute, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { jobView } from '../job-view.ts';
import { authResponses, protect } from '../auth.ts';
import { bodyLimitResponse, problemResponse, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema, JobViewSchema } from '../schemas.ts';

export const cancelJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/cancel',
  operationId: 'cancelJob',
  tags: ['jobs'],
  summary: 'Cancel a job',
  ...protect('jobs:write'),
  request: { params: JobIdParamsSchema },
  responses: {
    202: { description: 'Cancelled, or marked for cancelling.', content: { 'application/json': { schema: JobViewSchema } } },
    ...authResponses,
    ...bodyLimitResponse,
    ...unavailableResponse,
    404: problemResponse('No such job.'),
    409: problemResponse('The job has already finished.'),
    422: problemResponse('Not a job id.'),
  },
});

export function cancelJob(deps: ApiDeps): RouteHandler<typeof cancelJobRoute, ApiEnv> {
  return async (c) => {
    const job = await deps.jobs.cancel(c.req.valid('param').id, `cancelled by API key "${c.var.principal?.name ?? 'unknown'}"`);
    c.var.log.info({ jobId: job.id, state: job.state }, 'job cancel requested');
    return c.json(jobView(job), 202);
  };
}
