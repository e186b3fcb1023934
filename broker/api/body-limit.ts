// The request body limit. Hono's bodyLimit reads `c.req.raw.body`, which makes the Node
// adapter build a whole web Request (a ReadableStream, an AbortSignal) for every request, and
// then the route's JSON is read through that stream (5,000 submits of the broker benchmark
// cost the API 6.0–6.6 s of CPU with it, 5.1 s without). A body that declares its length is
// judged by the header alone, and the route then reads it straight from the socket; only a
// chunked body (no length given) is counted as it streams, by Hono's middleware. GET and HEAD
// carry no body a route reads.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

export function limitBody(maxBytes: number, tooLarge: (c: Context) => Response | Promise<Response>): MiddlewareHandler {
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined && /^\d+$/.test(length)) {
      return Number(length) > maxBytes ? tooLarge(c) : next();
    }
    return counted(c, next);
  };
}
