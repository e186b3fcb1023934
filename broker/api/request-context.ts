// The first middleware of every request: a request id (the caller's X-Request-Id when it is
// sane, else a new one), echoed in the response and bound to a child logger, and one access
// log line when the response is ready, with the caller's W3C trace id when a valid
// `traceparent` came. The Authorization header is never logged.
import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { ApiEnv } from './api-env.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function requestIdOf(header: string | undefined): string {
  return header !== undefined && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

export const TRACEPARENT_HEADER = 'traceparent';

// W3C Trace Context: version-traceid-parentid-flags, lowercase hex. Version ff is invalid;
// a later version may append fields after a "-", which are ignored here.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * The trace id of a W3C `traceparent` header, or undefined when there is none or it is
 * malformed. A malformed header is ignored, as the W3C recommends (the caller's trace simply
 * is not joined), and never echoed back: only the 32 hex digits it was checked to hold go on.
 */
export function traceIdOfTraceparent(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 512) return undefined;
  const match = TRACEPARENT.exec(header.trim());
  if (!match) return undefined;
  const [, version, traceId, parentId, , extra] = match;
  if (version === 'ff' || (version === '00' && extra !== undefined)) return undefined;
  if (/^0+$/.test(traceId!) || /^0+$/.test(parentId!)) return undefined;
  return traceId;
}

/** A job's trace id from its HTTP request: the caller's trace when it sent one, else the request id. */
export function traceIdOfRequest(traceparent: string | undefined, requestId: string): string {
  return traceIdOfTraceparent(traceparent) ?? requestId;
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
        // The caller's trace, so that its request can be found from its side.
        traceId: traceIdOfTraceparent(c.req.header(TRACEPARENT_HEADER)),
      },
      'request',
    );
  };
}
