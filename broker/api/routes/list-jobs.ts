// GET /v1/jobs — newest first, filtered by state and pipeline, paged by cursor.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { NameSchema } from '../../core/pipeline.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { jobView } from '../job-view.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { JobPageSchema, JobStateSchema } from '../schemas.ts';

const QuerySchema = z.object({
  state: JobStateSchema.optional(),
  pipeline: NameSchema.optional(),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a nextCursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listJobsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  operationId: 'listJobs',
  tags: ['jobs'],
  summary: 'List jobs',
  ...protect('jobs:read'),
  request: { query: QuerySchema },
  responses: {
    200: { description: 'A page of jobs, newest first.', content: { 'application/json': { schema: JobPageSchema } } },
    ...authResponses,
    ...unavailableResponse,
    422: problemResponse('An invalid filter or limit.'),
  },
});

export function listJobs(deps: ApiDeps): RouteHandler<typeof listJobsRoute, ApiEnv> {
  return async (c) => {
    const page = await deps.jobs.list(c.req.valid('query'));
    return c.json({ items: page.items.map(jobView), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) }, 200);
  };
}
