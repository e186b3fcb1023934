// GET /v1/landings — the landing ledger: each landed file with its state (seen, ready,
// batched with the job id, done, quarantined with the reason), newest first, paged; by
// source, state and a part of the path.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { PATH_SCAN_LIMIT, type LandingRecord } from '../../../watchers/landing-ledger.ts';
import { LANDING_STATES } from '../../../watchers/landing-keys.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';

const QuerySchema = z.strictObject({
  source: z.string().min(1).max(300).optional(),
  state: z.enum(LANDING_STATES).optional(),
  path: z
    .string()
    .min(1)
    .max(300)
    .optional()
    .openapi({
      description: `Only landings whose path contains this text (case-sensitive; a prefix works too). The ledger has no index by path: a page looks at up to ${PATH_SCAN_LIMIT} landings (newest first, within the source and state given) and may hold fewer than \`limit\` items, even none, with a \`nextCursor\` that goes on from there.`,
      example: '2024-06-01/',
    }),
  cursor: z.string().regex(/^[\x21-\x7e]{1,300}$/, 'must be a nextCursor from a previous page').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const LandingSchema = z
  .object({
    fingerprint: z.string(),
    source: z.string(),
    path: z.string(),
    uri: z.string(),
    size: z.number().int(),
    state: z.enum(LANDING_STATES),
    seenAt: z.string(),
    readyAt: z.string().optional(),
    batchedAt: z.string().optional(),
    doneAt: z.string().optional(),
    quarantinedAt: z.string().optional(),
    jobId: z.string().optional(),
    reason: z.string().optional().openapi({ description: 'Why it was quarantined (the last time, when it was re-admitted since).' }),
    readmittedAt: z.string().optional().openapi({ description: 'When it was last re-admitted from quarantine.' }),
    readmittedBy: z.string().optional().openapi({ description: 'Who re-admitted it (the API key\'s name).', example: 'API key "ops"' }),
  })
  .openapi('Landing');

const LandingPageSchema = z.object({ items: z.array(LandingSchema), nextCursor: z.string().optional() }).openapi('LandingPage');

export const listLandingsRoute = createRoute({
  method: 'get',
  path: '/v1/landings',
  operationId: 'listLandings',
  tags: ['landings'],
  summary: 'List landed files and their state',
  ...protect('jobs:read'),
  request: { query: QuerySchema },
  responses: {
    200: { description: 'A page of landings, newest first.', content: { 'application/json': { schema: LandingPageSchema } } },
    ...authResponses,
    ...unavailableResponse,
    422: problemResponse('An invalid filter or limit.'),
  },
});

/** What a caller sees of a landing: its story, not the watcher's bookkeeping (inode, content sample). */
export function landingView(record: LandingRecord): z.infer<typeof LandingSchema> {
  const { fingerprint, source, path, uri, size, state, seenAt, readyAt, batchedAt, doneAt, quarantinedAt, jobId, reason, readmittedAt, readmittedBy } = record;
  return { fingerprint, source, path, uri, size, state, seenAt, readyAt, batchedAt, doneAt, quarantinedAt, jobId, reason, readmittedAt, readmittedBy };
}

export function listLandings(deps: ApiDeps): RouteHandler<typeof listLandingsRoute, ApiEnv> {
  return async (c) => {
    const page = await deps.landings.list(c.req.valid('query'));
    return c.json({ items: page.items.map(landingView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
  };
}
