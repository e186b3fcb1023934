// The HTTP API: an OpenAPIHono app built from its dependencies (no singletons, no
// connections of its own). Each operation lives in routes/<operation>.ts as schema → route →
// handler; this file wires the cross-cutting parts in order:
//   request id + access log → body limit → key identification (bearer key, or the dashboard's
//   session cookie with its same-origin check) → route (scope check → validation via the one
//   default hook → handler); errors → problem+json (problem.ts).
// With `ui`, the ops dashboard is served at /ui (broker/ui/ui-routes.ts, docs/adr/0018-ops-dashboard.md).
import { SluiceEventSchema } from '../core/events.ts';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { ApiDeps } from './api-deps.ts';
import type { ApiEnv } from './api-env.ts';
import { limitBody } from './body-limit.ts';
import { ApiKeyAuthenticator } from './api-keys.ts';
import { authenticate, BEARER_SCHEME, requireAdminForBrowser } from './auth.ts';
import { mountDocs } from './docs.ts';
import { OPENAPI_DOCUMENT_PATH, openApiDocument } from './openapi.ts';
import { errorHandler, notFoundHandler, problem, validationHook } from './problem.ts';
import { requestContext } from './request-context.ts';
import { cancelJob, cancelJobRoute } from './routes/cancel-job.ts';
import { getJob, getJobRoute } from './routes/get-job.ts';
import { getPipeline, getPipelineRoute } from './routes/get-pipeline.ts';
import { healthz, healthzRoute } from './routes/healthz.ts';
import { jobLogs, jobLogsRoute } from './routes/job-logs.ts';
import { jobEvents, jobEventsRoute } from './routes/job-events.ts';
import { jobNotifications, jobNotificationsRoute } from './routes/job-notifications.ts';
import { listNotifications, listNotificationsRoute } from './routes/list-notifications.ts';
import { listEvents, listEventsRoute } from './routes/list-events.ts';
import { listJobs, listJobsRoute } from './routes/list-jobs.ts';
import { listPipelines, listPipelinesRoute } from './routes/list-pipelines.ts';
import { listQueues, listQueuesRoute } from './routes/list-queues.ts';
import { metrics, metricsRoute } from './routes/metrics.ts';
import { queueControl, queueControlRoute } from './routes/queue-control.ts';
import { listLandings, listLandingsRoute } from './routes/list-landings.ts';
import { listWatchers, listWatchersRoute } from './routes/list-watchers.ts';
import { readmitLanding, readmitLandingRoute } from './routes/readmit-landing.ts';
import { readyz, readyzRoute } from './routes/readyz.ts';
import { retryJob, retryJobRoute } from './routes/retry-job.ts';
import { runStats, runStatsRoute } from './routes/run-stats.ts';
import { submitJob, submitJobRoute } from './routes/submit-job.ts';
import { mountUi, type UiDeps } from '../ui/ui-routes.ts';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** The API's dependencies, and the dashboard's when it is served (absent: no /ui, no session cookies). */
export type ApiWithUiDeps = ApiDeps & { ui?: UiDeps };

export function createApi(deps: ApiWithUiDeps): OpenAPIHono<ApiEnv> {
  const auth = new ApiKeyAuthenticator(deps.apiKeys);
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });

  app.use('*', requestContext(deps.logger));
  app.use(
    '*',
    limitBody(deps.bodyLimitBytes, (c) => problem(c, 413, 'content-too-large', `the request body is larger than ${deps.bodyLimitBytes} bytes`)),
  );
  app.use('*', authenticate(auth, deps.ui?.sessions, deps.ui?.trusted));

  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key. Each route lists the scope it needs (jobs:read, jobs:write or admin; admin implies all).',
  });
  // The events routes answer text/event-stream, whose `data:` lines no response schema can
  // describe: the event is published as a component of its own, so generated clients get its type.
  // (core/ is plain zod, without .openapi(): its JSON Schema is registered as it is; as an input
  // schema, so that it allows fields a later version adds.)
  app.openAPIRegistry.registerComponent('schemas', 'SluiceEvent', z.toJSONSchema(SluiceEventSchema, { target: 'openapi-3.0', io: 'input' }) as never);

  app.openapi(submitJobRoute, submitJob(deps));
  app.openapi(listJobsRoute, listJobs(deps));
  app.openapi(getJobRoute, getJob(deps));
  app.openapi(cancelJobRoute, cancelJob(deps));
  app.openapi(retryJobRoute, retryJob(deps));
  app.openapi(jobLogsRoute, jobLogs(deps));
  app.openapi(jobEventsRoute, jobEvents(deps));
  app.openapi(jobNotificationsRoute, jobNotifications(deps));
  app.openapi(listNotificationsRoute, listNotifications(deps));
  app.openapi(listEventsRoute, listEvents(deps));
  app.openapi(listPipelinesRoute, listPipelines(deps));
  app.openapi(getPipelineRoute, getPipeline(deps));
  app.openapi(runStatsRoute, runStats(deps));
  app.openapi(listQueuesRoute, listQueues(deps));
  app.openapi(listLandingsRoute, listLandings(deps));
  app.openapi(listWatchersRoute, listWatchers(deps));
  app.openapi(readmitLandingRoute, readmitLanding(deps));
  app.openapi(queueControlRoute('pause'), queueControl(deps, 'pause'));
  app.openapi(queueControlRoute('resume'), queueControl(deps, 'resume'));
  app.openapi(healthzRoute, healthz());
  app.openapi(readyzRoute, readyz(deps));
  app.openapi(metricsRoute, metrics(deps));

  // Built once, on first request, from the routes above: the same document scripts/openapi.ts writes offline.
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get(OPENAPI_DOCUMENT_PATH, (c) => c.json((document ??= openApiDocument(app))));
  mountDocs(app);
  if (deps.ui) mountUi(app, deps.ui, auth);

  if (deps.queueBoard) {
    const adminOnly = requireAdminForBrowser(auth);
    // Read-only: with no state-changing route left, a browser that holds the admin key's
    // Basic credentials cannot be made to change anything by a foreign page's form (CSRF).
    const readOnly: MiddlewareHandler<ApiEnv> = async (c, next) => {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
      return problem(c, 405, 'read-only', 'the queue board is read-only; use the API to cancel, retry, pause or resume', [], { Allow: 'GET, HEAD' });
    };
    for (const path of [QUEUE_BOARD_PATH, `${QUEUE_BOARD_PATH}/*`]) app.use(path, readOnly, adminOnly);
    app.route('/', deps.queueBoard(QUEUE_BOARD_PATH));
  }

  app.notFound(notFoundHandler);
  app.onError(errorHandler);
  return app;
}
