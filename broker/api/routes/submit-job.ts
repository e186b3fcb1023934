// POST /v1/jobs — submits a job. With an Idempotency-Key, the same key and body give the
// same job back (200), and the same key with another body is a 409. The job's trace id is the
// caller's W3C `traceparent` trace, else the request id.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { jobView } from '../job-view.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse } from '../problem.ts';
import { traceIdOfRequest } from '../request-context.ts';
import { JobViewSchema, SubmitRequestBodySchema } from '../schemas.ts';
import { IDEMPOTENCY_KEY_PATTERN } from '../../jobs/jobs-service.ts';

const HeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      description: 'Idempotency-Key (header names are case-insensitive): makes a retried submit safe; 1-200 characters of A-Z a-z 0-9 . _ : -',
      // Published so that a client can check a key before sending it; the service checks it
      // itself and answers 400 (not the 422 of a schema check) for one that does not match.
      pattern: IDEMPOTENCY_KEY_PATTERN.source,
      example: 'sales-2024-06-01',
    }),
  traceparent: z
    .string()
    .optional()
    .openapi({
      param: { name: 'traceparent', in: 'header' },
      description:
        'W3C Trace Context: its trace-id becomes the job\'s traceId (in the job, its logs, the Spark driver log, the manifest and the SQL load ledger). Without it, or when it is malformed (then it is ignored), the request id is used.',
      example: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
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
      content: { 'application/json': { schema: JobViewSchema } },
    },
    200: {
      description: 'A replay: the job created earlier with the same Idempotency-Key and body.',
      headers: { Location: { schema: { type: 'string' }, description: 'The job\'s URL.' } },
      content: { 'application/json': { schema: JobViewSchema } },
    },
    400: problemResponse('Malformed JSON or Idempotency-Key.'),
    ...authResponses,
    409: problemResponse('The Idempotency-Key was used with a different body.'),
    413: problemResponse('The body is larger than the limit.'),
    415: problemResponse('The body is not application/json.'),
    422: problemResponse('Invalid fields, unknown pipeline or parameters, or inputs outside the landing roots.'),
    503: problemResponse(
      'Redis could not be reached or did not answer in time (urn:sluice:problem:redis-unavailable). Unreachable: nothing was created. ' +
        'No answer in time: the job may have been created after all; retry after the Retry-After seconds with the same Idempotency-Key, which then returns it.',
    ),
  },
});

export function submitJob(deps: ApiDeps): RouteHandler<typeof submitJobRoute, ApiEnv> {
  return async (c) => {
    const request = c.req.valid('json');
    const headers = c.req.valid('header');
    const idempotencyKey = headers['idempotency-key'];
    const { job, created } = await deps.jobs.submit(request, {
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      requestId: c.var.requestId,
      traceId: traceIdOfRequest(headers.traceparent, c.var.requestId),
      ...(c.var.principal ? { scope: c.var.principal.name } : {}),
    });
    deps.metrics.recordSubmission(job.pipeline, created ? 'created' : 'replayed');
    c.var.log.info({ jobId: job.id, traceId: job.traceId, pipeline: job.pipeline, created, keyName: c.var.principal?.name }, 'job submitted');
    c.header('Location', `/v1/jobs/${encodeURIComponent(job.id)}`);
    return created ? c.json(jobView(job), 201) : c.json(jobView(job), 200);
  };
}
