// The first middleware of every request: a request id (the caller's X-Request-Id when it is
// sane, else a new one), echoed in the response and bound to a child logger, and one access
// log line when the response is ready. The Authorization header is never logged.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { ApiEnv } from './api-env.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdOf(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

export function requestContext(logger: Logger): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const started = performance.now();
    const requestId = requestIdOf(c.req.header(REQUEST_ID_HEADER));
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('principal', undefined);
    c.header(REQUEST_ID_HEADER, requestId);
    await next();
    if (c.res.headers.get(REQUEST_ID_HEADER) !== requestId) {
      try {
        c.res.headers.set(REQUEST_ID_HEADER, requestId);
      } catch {
        // An immutable response (none of ours): it goes out without the header.
      }
    }
    log.info(
      {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        keyName: c.get('principal')?.name,
      },
      'request',
    );
  };
}
