// GET /v1/notifications — recent webhook deliveries across jobs, newest first: each
// delivery's last attempt; with `failed=true` only those that failed for good (every retry
// spent), which is what the dashboard's overview counts (docs/adr/0020-alerts.md).
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { notificationsUnavailable, NotificationDeliverySchema } from './job-notifications.ts';

const QuerySchema = z.strictObject({
  failed: z.stringbool().default(false).openapi({ type: 'boolean', description: 'Only deliveries that failed for good (true/false).' }),
  limit: z.coerce.number().int().min(1).max(1_000).default(100).openapi({ description: 'How many to list, newest first.' }),
});

export const NotificationListSchema = z
  .object({
    items: z.array(NotificationDeliverySchema),
    total: z.number().int().openapi({ description: 'How many such deliveries are kept (the last 1,000 at most).' }),
  })
  .openapi('NotificationList');

export const listNotificationsRoute = createRoute({
  method: 'get',
  path: '/v1/notifications',
  operationId: 'listNotifications',
  tags: ['jobs'],
  summary: 'List recent webhook deliveries',
  ...protect('jobs:read'),
  request: { query: QuerySchema },
  responses: {
    200: { description: 'The deliveries, newest first.', content: { 'application/json': { schema: NotificationListSchema } } },
    ...authResponses,
    ...unavailableResponse,
    422: problemResponse('An invalid failed or limit.'),
  },
});

export function listNotifications(deps: ApiDeps): RouteHandler<typeof listNotificationsRoute, ApiEnv> {
  return async (c) => {
    if (!deps.notifications) return notificationsUnavailable(c);
    const { failed, limit } = c.req.valid('query');
    return c.json(await deps.notifications.recent({ failed, limit }), 200);
  };
}
