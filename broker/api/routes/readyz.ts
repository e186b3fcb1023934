// GET /readyz — readiness: 200 when every dependency check passes, else 503 with the
// checks, so a load balancer stops sending work here. No key needed. It answers within
// READY_DEADLINE_MS whatever the checks do: a probe that hangs is as bad as one that lies.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { DeadlineError } from '../../core/errors.ts';
import { withDeadline } from '../../jobs/call-deadline.ts';
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

/** The longest /readyz takes: under the 2 s probe timeouts load balancers and kubelets commonly use. */
export const READY_DEADLINE_MS = 1_500;

type Readiness = { ok: boolean; checks: Record<string, string> };

export function readyz(deps: ApiDeps): RouteHandler<typeof readyzRoute, ApiEnv> {
  return async (c) => {
    let result: Readiness;
    try {
      result = await withDeadline('readiness', READY_DEADLINE_MS, () => deps.ready());
    } catch (error) {
      if (error instanceof DeadlineError) result = { ok: false, checks: { readiness: `no answer within ${READY_DEADLINE_MS} ms` } };
      else {
        c.var.log.warn({ err: error }, 'readiness check failed');
        result = { ok: false, checks: { readiness: 'the check itself failed' } };
      }
    }
    return result.ok ? c.json({ status: 'ready' as const, checks: result.checks }, 200) : c.json({ status: 'not-ready' as const, checks: result.checks }, 503);
  };
}
