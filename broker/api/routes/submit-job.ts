// POST /v1/jobs — submits a job. With an Idempotency-Key, the same key and body give the
// same job back (200), and the same key with another body is a 409.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse } from '../problem.ts';
import { JobResponseSchema, SubmitRequestBodySchema } from '../schemas.ts';

const HeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Idempotency-Key (header names are case-insensitive): makes a retried submit safe; 1-200 characters of A-Z a-z 0-9 . _ : -',
      example: 'sales-2024-06-01',
    }),
});

export const submitJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs',
  operationId: 'submitJob',
  tags: ['jobs'],
  summary: 'Submit a job',
  ...protect('jobs:write'),
  request: {
    headers: HeadersSchema,
    body: { required: true, content: { 'application/json': { schema: SubmitRequestBodySchema } } },
  },
  responses: {
    201: {
      description: 'The job was created and queued.',
      headers: { Location: { schema: { type: 'string' }, description: 'The job\'s URL.' } },
      content: { 'application/json': { schema: JobResponseSchema } },
    },
    200: {
      description: 'A replay: the job created earlier with the same Idempotency-Key and body.',
      headers: { Location: { schema: { type: 'string' }, description: 'The job\'s URL.' } },
      content: { 'application/json': { schema: JobResponseSchema } },
    },
    400: problemResponse('Malformed JSON or Idempotency-Key.'),
    ...authResponses,
    409: problemResponse('The Idempotency-Key was used with a different body.'),
    413: problemResponse('The body is larger than the limit.'),
    415: problemResponse('The body is not application/json.'),
    422: problemResponse('Invalid fields, unknown pipeline or parameters, or inputs outside the landing roots.'),
  },
});

export function submitJob(deps: ApiDeps): RouteHandler<typeof submitJobRoute, ApiEnv> {
  return async (c) => {
    const request = c.req.valid('json');
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    const { job, created } = await deps.jobs.submit(request, {
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      requestId: c.var.requestId,
      ...(c.var.principal ? { scope: c.var.principal.name } : {}),
    });
    deps.metrics.recordSubmission(job.pipeline, created ? 'created' : 'replayed');
    c.var.log.info({ jobId: job.id, pipeline: job.pipeline, created, keyName: c.var.principal?.name }, 'job submitted');
    c.header('Location', `/v1/jobs/${encodeURIComponent(job.id)}`);
    return created ? c.json(job, 201) : c.json(job, 200);
  };
}
