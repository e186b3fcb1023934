// GET /v1/jobs — newest (or oldest) first, filtered by state, pipeline, labels, creation time and a
// search on job id and input paths, paged by cursor. Every filter is served by an index
// (broker/jobs/job-store.ts list(), broker/jobs/job-index.ts).
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { UserError } from '../../core/errors.ts';
import { hasControlCharacters } from '../../core/job.ts';
import { NameSchema } from '../../core/pipeline.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { jobView } from '../job-view.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { JobPageSchema, JobStateSchema } from '../schemas.ts';

/** A label filter: the label name as submit accepts it, "=", the exact value (possibly empty). */
const LabelFilterSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._/-]{0,62}=/, 'must be key=value with a label name (lowercase, at most 63 characters) before the "="')
  .max(320)
  .refine((pair) => !hasControlCharacters(pair), 'may not hold control characters');

/** An instant in ISO 8601: a date-time with Z or an offset, or a date (midnight UTC). */
const InstantSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

const QuerySchema = z.strictObject({
  state: JobStateSchema.optional(),
  pipeline: NameSchema.optional(),
  // One value arrives as a string, several as an array: both become an array.
  label: z
    .preprocess((value) => (typeof value === 'string' ? [value] : value), z.array(LabelFilterSchema).max(16, 'at most 16 label filters'))
    .optional()
    .openapi({ description: 'Repeatable `key=value`: only jobs carrying every one of these labels with exactly this value.', example: ['team=finance'] }),
  from: InstantSchema.optional().openapi({ description: 'Only jobs created at or after this time (ISO 8601: `2025-06-01T08:00:00Z`, an offset, or a date meaning midnight UTC).' }),
  until: InstantSchema.optional().openapi({ description: 'Only jobs created before this time (ISO 8601, as `from`).' }),
  q: z
    .string()
    .min(1)
    .max(1_024)
    .refine((text) => !hasControlCharacters(text), 'may not hold control characters')
    .optional()
    .openapi({
      description:
        'Search, case-sensitive: jobs whose id starts with `q` (the exact id included), or with an input whose full path starts with `q`, or whose file name (the last path segment, a folder\'s name for a folder input) starts with `q`.',
      example: 'sales-2025-06',
    }),
  order: z
    .enum(['newest', 'oldest'])
    .default('newest')
    .openapi({
      description: 'By creation time: `newest` first (the default) or `oldest` first (`state=queued&order=oldest&limit=1` is the oldest queued job). A `nextCursor` carries on in the order of the page that gave it: pass the same `order` with it.',
    }),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a nextCursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const listJobsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  operationId: 'listJobs',
  tags: ['jobs'],
  summary: 'List jobs',
  description:
    'Newest first, or oldest first with `order=oldest`. Filters combine (a job matches all of them). A page may hold fewer than `limit` jobs and still have a `nextCursor`: a request reads a bounded number of jobs, and the cursor carries on from there.',
  ...protect('jobs:read'),
  request: { query: QuerySchema },
  responses: {
    200: { description: 'A page of jobs, in the order asked for.', content: { 'application/json': { schema: JobPageSchema } } },
    ...authResponses,
    ...unavailableResponse,
    422: problemResponse('An invalid filter or limit.'),
  },
});

export function listJobs(deps: ApiDeps): RouteHandler<typeof listJobsRoute, ApiEnv> {
  return async (c) => {
    const { label, from, until, ...rest } = c.req.valid('query');
    const fromAt = from !== undefined ? new Date(from) : undefined;
    const untilAt = until !== undefined ? new Date(until) : undefined;
    if (fromAt && untilAt && fromAt.getTime() >= untilAt.getTime()) {
      throw new UserError('validation-failed', 'the time range is empty', 422, [{ path: 'until', message: 'must be later than from' }]);
    }
    const page = await deps.jobs.list({ ...rest, ...(label ? { labels: label } : {}), ...(fromAt ? { from: fromAt } : {}), ...(untilAt ? { until: untilAt } : {}) });
    return c.json({ items: page.items.map(jobView), ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) }, 200);
  };
}
