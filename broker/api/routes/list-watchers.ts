// GET /v1/watchers — every landing source the loaded pipelines watch, with the watcher's last
// listing of it (when, how many files, how long), the last error, and whether the listing is
// late: "is anyone still looking at this folder?" answered without a shell on the watcher.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { sourceId } from '../../core/landing-config.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { unavailableResponse } from '../problem.ts';

const WatcherSchema = z
  .object({
    source: z.string().openapi({ description: 'The source id, as landings name it.' }),
    kind: z.enum(['fs', 's3']),
    location: z.string().openapi({ description: 'The folder, or s3://bucket/prefix.' }),
    pipelines: z.array(z.string()),
    expectedEveryMs: z.number().int().openapi({ description: 'How often the source is listed in full: `rescan` for a folder, `interval` for an S3 prefix.' }),
    lastListingAt: z.string().optional().openapi({ description: 'When a watcher last listed the source without error (absent: never, since Redis was emptied).' }),
    files: z.number().int().optional(),
    listingMs: z.number().int().optional(),
    error: z.string().optional().openapi({ description: 'The last listing error, until a listing works again.' }),
    errorAt: z.string().optional(),
    late: z.boolean().openapi({ description: 'No good listing for more than twice `expectedEveryMs` plus a minute: no watcher is looking, or every listing fails.' }),
    process: z.string().optional().openapi({ description: 'The host and pid of the watcher that wrote this.' }),
  })
  .openapi('Watcher');

const WatcherListSchema = z.object({ items: z.array(WatcherSchema) }).openapi('WatcherList');

export const listWatchersRoute = createRoute({
  method: 'get',
  path: '/v1/watchers',
  operationId: 'listWatchers',
  tags: ['landings'],
  summary: 'The landing sources and when a watcher last listed each',
  ...protect('jobs:read'),
  responses: {
    200: { description: 'Every source of every loaded pipeline.', content: { 'application/json': { schema: WatcherListSchema } } },
    ...authResponses,
    ...unavailableResponse,
  },
});

/** Slack beyond two missed listings before a source counts as late: a slow mount is not an alarm. */
const LATE_SLACK_MS = 60_000;

export function listWatchers(deps: ApiDeps): RouteHandler<typeof listWatchersRoute, ApiEnv> {
  return async (c) => {
    const health = deps.watcherHealth ? await deps.watcherHealth.all() : new Map();
    const bySource = new Map<string, z.infer<typeof WatcherSchema>>();
    for (const pipeline of deps.pipelines.list()) {
      for (const source of pipeline.sources) {
        const id = sourceId(source);
        const known = bySource.get(id);
        if (known) {
          known.pipelines.push(pipeline.name);
          continue;
        }
        const expectedEveryMs = source.kind === 'fs' ? source.rescan : source.interval;
        const record = health.get(id);
        const last = record?.lastListingAt ? Date.parse(record.lastListingAt) : undefined;
        bySource.set(id, {
          source: id,
          kind: source.kind,
          location: source.kind === 'fs' ? source.path : `s3://${source.bucket}/${source.prefix}`,
          pipelines: [pipeline.name],
          expectedEveryMs,
          ...(record ?? {}),
          late: last === undefined || Date.now() - last > 2 * expectedEveryMs + LATE_SLACK_MS,
        });
      }
    }
    return c.json({ items: [...bySource.values()] }, 200);
  };
}
