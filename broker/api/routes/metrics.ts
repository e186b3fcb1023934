// GET /metrics — Prometheus exposition of deps.metrics.
// It needs the admin scope: the metrics name every pipeline, show queue depths and process
// internals, and an unauthenticated /metrics on a shared network is a classic leak. Give the
// Prometheus scrape job its own admin key (scrape_config `authorization: { credentials }`);
// a narrower "metrics" scope can come later without changing this route's contract.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';

export const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  tags: ['health'],
  summary: 'Prometheus metrics (admin key)',
  ...protect('admin'),
  responses: {
    200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
    ...authResponses,
  },
});

export function metrics(deps: ApiDeps): RouteHandler<typeof metricsRoute, ApiEnv> {
  return async (c) => {
    const body = await deps.metrics.registry.metrics();
    c.header('Content-Type', deps.metrics.registry.contentType);
    return c.body(body, 200) as unknown as ReturnType<typeof c.text<string, 200>>;
  };
}
