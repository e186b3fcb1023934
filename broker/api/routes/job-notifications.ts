// GET /v1/jobs/{id}/notifications — the job's webhook deliveries: every attempt, oldest first,
// with the target's answer (docs/adr/0020-alerts.md).
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { DeliveryAttemptSchema } from '../../core/alerts.ts';
import type { Context } from 'hono';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableProblem, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema } from '../schemas.ts';

export const NotificationDeliverySchema = DeliveryAttemptSchema.meta({ id: 'NotificationDelivery' });

export const JobNotificationsSchema = z.object({ items: z.array(NotificationDeliverySchema) }).openapi('JobNotifications');

export const jobNotificationsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/notifications',
  operationId: 'getJobNotifications',
  tags: ['jobs'],
  summary: "List the job's webhook deliveries",
  description: 'Every attempt to deliver an alert about the job (failed, succeeded, quarantined, deadline_missed), oldest first; `final` marks the last attempt of a delivery.',
  ...protect('jobs:read'),
  request: { params: JobIdParamsSchema },
  responses: {
    200: { description: "The job's delivery attempts.", content: { 'application/json': { schema: JobNotificationsSchema } } },
    ...authResponses,
    ...unavailableResponse,
    404: problemResponse('No such job.'),
    422: problemResponse('Not a job id.'),
  },
});

/** The 503 of a process started without the delivery log. */
export const notificationsUnavailable = (c: Context<ApiEnv>): never =>
  unavailableProblem(c, 'notifications-unavailable', 'this Sluice process was started without the delivery log, so it cannot show notifications');

export function jobNotifications(deps: ApiDeps): RouteHandler<typeof jobNotificationsRoute, ApiEnv> {
  return async (c) => {
    const job = await deps.jobs.get(c.req.valid('param').id);
    if (!deps.notifications) return notificationsUnavailable(c);
    return c.json({ items: await deps.notifications.forJob(job.id) }, 200);
  };
}
