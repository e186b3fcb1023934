// POST /v1/landings/{fingerprint}/readmit — puts a quarantined landing's file back where it
// landed (from its pipeline's quarantine location, removing the reason file) and makes the
// landing ready again, so the watcher checks and batches it at once (watchers/readmit.ts).
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { readmitLanding as putBackAndReadmit, ReadmitFileError } from '../../../watchers/readmit.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { bodyLimitResponse, problemResponse, unavailableProblem } from '../problem.ts';
import { LandingSchema, landingView } from './list-landings.ts';

const ParamsSchema = z.object({
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{40}$/, 'must be a landing fingerprint (40 lowercase hex characters, as GET /v1/landings lists it)')
    .openapi({ param: { name: 'fingerprint', in: 'path' }, example: '3f0c9d3b2a4e5f60718293a4b5c6d7e8f9012345' }),
});

export const readmitLandingRoute = createRoute({
  method: 'post',
  path: '/v1/landings/{fingerprint}/readmit',
  operationId: 'readmitLanding',
  tags: ['landings'],
  summary: 'Re-admit a quarantined landing once its file is fixed',
  description:
    'Moves the file back from the quarantine location to where it landed (removing its `.reason.txt`), then makes the landing ready: ' +
    'the watcher checks it again at the door and batches it at once. Who re-admitted it and when are recorded on the landing ' +
    '(`readmittedBy`, `readmittedAt`) and in its `landing.ready` event. Without a quarantine location the file stayed in place and only the ledger changes. ' +
    'Needs `jobs:write`: re-admitting starts a job for the file, as submitting one does, and nothing here needs more (no setting or queue is changed).',
  ...protect('jobs:write'),
  request: { params: ParamsSchema },
  responses: {
    200: { description: 'Re-admitted: the landing as it now is (ready, or already further on).', content: { 'application/json': { schema: LandingSchema } } },
    ...authResponses,
    ...bodyLimitResponse,
    404: problemResponse('No landing has this fingerprint.'),
    409: problemResponse('The landing is not quarantined (the detail names its state), or its file cannot be put back (missing, the path taken by a newer file, no pipeline watching the source).'),
    422: problemResponse('Not a landing fingerprint.'),
    503: problemResponse(
      'The file could not be moved back (the detail says why; nothing changed in the ledger), this process has no access to landing files, or Redis did not answer in time.',
    ),
  },
});


export function readmitLanding(deps: ApiDeps): RouteHandler<typeof readmitLandingRoute, ApiEnv> {
  return async (c) => {
    const { fingerprint } = c.req.valid('param');
    if (!deps.landingFiles) {
      return unavailableProblem(c, 'landing-files-unavailable', 'this Sluice process was started without access to the landing files, so it cannot put a quarantined file back; nothing was changed');
    }
    const by = `API key "${c.var.principal?.name ?? 'unknown'}"`;
    try {
      const landing = await putBackAndReadmit({ ledger: deps.landings, files: deps.landingFiles, pipelines: deps.pipelines.list() }, fingerprint, by);
      c.var.log.info({ fingerprint, source: landing.source, path: landing.path, keyName: c.var.principal?.name }, 'landing re-admitted');
      return c.json(landingView(landing), 200);
    } catch (error) {
      if (!(error instanceof ReadmitFileError)) throw error;
      c.var.log.warn({ fingerprint, err: error.message }, 'landing re-admit failed on its file');
      return unavailableProblem(c, 'landing-file-move-failed', `${error.message}; nothing was changed in the ledger, try again once the file can be reached`);
    }
  };
}
