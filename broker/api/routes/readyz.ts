// GET /readyz — readiness: 200 when every dependency check passes, else 503 with the
// checks, so a load balancer stops sending work here. No key needed.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';

const ReadinessSchema = z
  .object({
    status: z.enum(['ready', 'not-ready']),
    checks: z.record(z.string(), z.string()).openapi({ example: { redis: 'ok', durability: 'ok' } }),
  })
  .openapi('Readiness');

export const readyzRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'readyz',
  tags: ['health'],
  summary: 'Readiness',
  responses: {
    200: { description: 'Ready.', content: { 'application/json': { schema: ReadinessSchema } } },
    503: { description: 'Not ready; the checks say why.', content: { 'application/json': { schema: ReadinessSchema } } },
  },
});

export function readyz(deps: ApiDeps): RouteHandler<typeof readyzRoute, ApiEnv> {
  return async (c) => {
    let result: { ok: boolean; checks: Record<string, string> };
    try {
      result = await deps.ready();
    } catch (error) {
      c.var.log.warn({ err: error }, 'readiness check failed');
      result = { ok: false, checks: { readiness: 'the check itself failed' } };
    }
    return result.ok ? c.json({ status: 'ready' as const, checks: result.checks }, 200) : c.json({ status: 'not-ready' as const, checks: result.checks }, 503);
  };
}
