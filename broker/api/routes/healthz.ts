// GET /healthz — liveness: 200 for as long as the process serves requests. No key needed.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import type { ApiEnv } from '../api-env.ts';

const HealthSchema = z.object({ status: z.literal('ok') }).openapi('Health');

export const healthzRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'healthz',
  tags: ['health'],
  summary: 'Liveness',
  responses: { 200: { description: 'The process serves.', content: { 'application/json': { schema: HealthSchema } } } },
});

export function healthz(): RouteHandler<typeof healthzRoute, ApiEnv> {
  return (c) => c.json({ status: 'ok' as const }, 200);
}
