// GET /v1/jobs/{id}/logs — the Spark driver's output for the job's current run: the last
// `tail` lines, or with `follow=true` a text stream that carries on while the run lives and
// stops as soon as the client goes away or the API closes (an open follow would keep the
// server's close waiting for as long as the run lives). A run whose launcher this process was
// not given (a Kubernetes run read by an API without the kubeconfig) answers 503, not a 500.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { streamText } from 'hono/streaming';
import { UserError } from '../../core/errors.ts';
import type { RunHandle } from '../../core/job.ts';
import { LauncherNotConfiguredError } from '../../launchers/launcher-registry.ts';
import type { Launcher } from '../../launchers/launcher.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableProblem } from '../problem.ts';
import { JobIdParamsSchema } from '../schemas.ts';

const QuerySchema = z.strictObject({
  tail: z.coerce.number().int().min(1).max(100_000).default(200).openapi({ description: 'How many of the last lines to send first.' }),
  follow: z.stringbool().default(false).openapi({ type: 'boolean', description: 'Keep streaming while the run lives (true/false).' }),
});

export const jobLogsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/logs',
  operationId: 'getJobLogs',
  tags: ['jobs'],
  summary: 'Read or follow the Spark driver log',
  ...protect('jobs:read'),
  request: { params: JobIdParamsSchema, query: QuerySchema },
  responses: {
    200: { description: 'The driver log.', content: { 'text/plain': { schema: z.string() } } },
    ...authResponses,
    503: problemResponse(
      'Redis did not answer in time (urn:sluice:problem:redis-unavailable), or the run was started by a launcher this process does not have ' +
        '(urn:sluice:problem:launcher-unavailable: a Kubernetes run read by an API without SLUICE_K8S_KUBECONFIG).',
    ),
    404: problemResponse('No such job, or the job has no Spark run yet.'),
    422: problemResponse('Not a job id, or an invalid tail or follow.'),
  },
});

export function jobLogs(deps: ApiDeps): RouteHandler<typeof jobLogsRoute, ApiEnv> {
  return async (c) => {
    const job = await deps.jobs.get(c.req.valid('param').id);
    const { tail, follow } = c.req.valid('query');
    const run = job.run;
    if (!run) {
      throw new UserError('no-run', `job ${job.id} has no Spark run yet (it is ${job.state}); its log appears once it has been launched`, 404);
    }
    // Looked up before anything is sent: a follow has answered 200 by the time its stream starts.
    const launcher = launcherOf(deps, run);
    if (!launcher) {
      return unavailableProblem(
        c,
        'launcher-unavailable',
        `job ${job.id} ran on launcher "${run.launcher}", which this Sluice process was not started with, so it cannot read the run's log; ask an API that has it`,
      );
    }
    if (!follow) {
      let text = '';
      for await (const chunk of launcher.logs(run, { tail })) text += chunk;
      return c.text(text, 200);
    }
    const log = c.var.log;
    const stop = new AbortController();
    const clientGone = c.req.raw.signal;
    const onClientGone = () => stop.abort();
    clientGone.addEventListener('abort', onClientGone, { once: true });
    // The API's close ends the follow; what the log holds by then is still sent.
    const onClosing = () => stop.abort();
    if (deps.closing?.aborted) stop.abort();
    else deps.closing?.addEventListener('abort', onClosing, { once: true });
    // Typed as the route's text response: streamText answers text/plain like c.text does.
    return streamText(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      log.debug({ jobId: job.id }, 'log follow started');
      try {
        for await (const chunk of launcher.logs(run, { tail, follow: true, signal: stop.signal })) {
          // A client gone is sent nothing more; at the API's close, what the log held still goes.
          if (stream.aborted || clientGone.aborted) break;
          await stream.write(chunk);
        }
      } finally {
        deps.closing?.removeEventListener('abort', onClosing);
        clientGone.removeEventListener('abort', onClientGone);
        stop.abort();
        log.debug({ jobId: job.id }, 'log follow ended');
      }
    }, async (error) => {
      log.warn({ err: error, jobId: job.id }, 'log follow failed');
    }) as unknown as ReturnType<typeof c.text<string, 200>>;
  };
}

/** The run's launcher, or undefined when this process was not given it (not a bug: a 503). */
function launcherOf(deps: ApiDeps, run: RunHandle): Launcher | undefined {
  try {
    return deps.launchers.forHandle(run);
  } catch (error) {
    if (error instanceof LauncherNotConfiguredError) return undefined;
    throw error;
  }
}
