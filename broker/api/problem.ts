// RFC 9457 problem details (application/problem+json) for every error the API answers:
// validation failures from the one default hook, UserErrors thrown by the jobs module,
// hono's HTTPExceptions (malformed JSON, wrong media type), an unreachable Redis (503 with
// Retry-After, request-path-redis.ts), unknown routes, and bugs (500, generic detail, logged
// with the request id, never echoed).
import { z, type Hook } from '@hono/zod-openapi';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { UserError, zodErrorDetails, type ErrorDetail } from '../core/errors.ts';
import type { ApiEnv } from './api-env.ts';
import { isRedisCommandUnsent, isRedisUnavailable, REDIS_RETRY_AFTER_SECONDS } from './request-path-redis.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'urn:sluice:problem:validation-failed' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().openapi({ description: 'The request path.' }),
    requestId: z.string(),
    errors: z
      .array(z.object({ path: z.string().openapi({ example: 'parameters.day' }), message: z.string() }))
      .openapi({ description: 'One entry per invalid field; `path` joins the field path with ".".' }),
  })
  .openapi('Problem');
export type Problem = z.infer<typeof ProblemSchema>;

/** A problem response for the OpenAPI document. */
export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/**
 * For every route that takes a request body (POST): the body limit (SLUICE_BODY_LIMIT) applies
 * to all of them, before the caller's key is looked at, whether the route reads a body or not.
 */
export const bodyLimitResponse = {
  413: problemResponse('The request body is larger than SLUICE_BODY_LIMIT (urn:sluice:problem:content-too-large); checked before the API key.'),
} as const;

/** For routes that read or write Redis: what they answer while it is away (see errorHandler). */
export const unavailableResponse = {
  503: problemResponse('Redis did not answer in time (urn:sluice:problem:redis-unavailable); retry after the Retry-After seconds.'),
} as const;

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Content too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function problemTypeUri(code: string): string {
  return `urn:sluice:problem:${code}`;
}

/** Answers with a problem document; `headers` adds e.g. WWW-Authenticate. */
export function problem(
  c: Context<ApiEnv>,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  errors: ErrorDetail[] = [],
  headers: Record<string, string> = {},
): Response {
  const body: Problem = {
    type: problemTypeUri(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    instance: c.req.path,
    requestId: c.get('requestId') ?? '',
    errors,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': PROBLEM_CONTENT_TYPE, ...headers },
  });
}

const TARGET_NAMES: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'headers', cookie: 'cookies', form: 'body' };

/** The one validation hook of the app (OpenAPIHono defaultHook): zod failures become 422 problems. */
export const validationHook: Hook<unknown, ApiEnv, string, Response | undefined> = (result, c) => {
  if (result.success) return undefined;
  const where = TARGET_NAMES[result.target] ?? result.target;
  return problem(c, 422, 'validation-failed', `the request ${where} has invalid fields`, zodErrorDetails(result.error));
};

/** app.onError: UserErrors keep their status and details; Redis away is a 503; anything else is a logged 500. */
export const errorHandler: ErrorHandler<ApiEnv> = (error, c) => {
  if (error instanceof UserError) return problem(c, error.status, error.code, error.message, error.details);
  if (isRedisUnavailable(error)) {
    c.get('log')?.warn({ dependency: 'redis', err: (error as Error).message }, 'dependency unavailable');
    return problem(
      c,
      503,
      'redis-unavailable',
      // Said only when it is true: a submit told "not carried out" and sent again without a key
      // would make a second job where the first was made after all.
      isRedisCommandUnsent(error)
        ? 'Redis, where Sluice keeps jobs, cannot be reached; the request was not carried out. Try again after the Retry-After seconds.'
        : 'Redis, where Sluice keeps jobs, did not answer in time; the request may or may not have been carried out. ' +
            'Send it again with the same Idempotency-Key, which gives its outcome if it was; without one, look for its effect (GET /v1/jobs) before sending it again.',
      [],
      { 'Retry-After': String(REDIS_RETRY_AFTER_SECONDS) },
    );
  }
  if (error instanceof HTTPException) {
    switch (error.status) {
      case 400:
        if (/json/i.test(error.message)) return problem(c, 400, 'malformed-json', 'the request body is not valid JSON');
        return problem(c, 400, 'bad-request', 'the request cannot be read');
      case 415:
        return problem(c, 415, 'unsupported-media-type', 'send the request body as application/json');
      default:
        if (error.status < 500) return problem(c, error.status, 'http-error', error.message);
    }
  }
  c.get('log')?.error({ err: error }, 'request failed');
  return problem(c, 500, 'internal', 'an unexpected error occurred; quote the requestId when reporting it');
};

/**
 * A route's declared 503 answered from inside a typed handler (the process lacks what the route
 * needs, or a dependency failed): typed as never, since the routes' typed responses describe
 * their JSON bodies only.
 */
export const unavailableProblem = (c: Context<ApiEnv>, code: string, detail: string): never => problem(c, 503, code, detail) as never;

export const notFoundHandler: NotFoundHandler<ApiEnv> = (c) => problem(c, 404, 'not-found', `no route for ${c.req.method} ${c.req.path}`);
