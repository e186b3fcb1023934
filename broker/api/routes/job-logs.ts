// GET /v1/jobs/{id}/logs — the Spark driver's output for the job's current run: the last
// `tail` lines, or with `follow=true` a text stream that carries on while the run lives and
// stops as soon as the client goes away.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { streamText } from 'hono/streaming';
import { UserError } from '../../core/errors.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';
import { JobIdParamsSchema } from '../schemas.ts';

const QuerySchema = z.object({
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
    ...unavailableResponse,
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
    if (!follow) {
      let text = '';
      for await (const chunk of deps.launchers.forHandle(run).logs(run, { tail })) text += chunk;
      return c.text(text, 200);
    }
    const log = c.var.log;
    const stop = new AbortController();
    const clientGone = c.req.raw.signal;
    const onClientGone = () => stop.abort();
    clientGone.addEventListener('abort', onClientGone, { once: true });
    // Typed as the route's text response: streamText answers text/plain like c.text does.
    return streamText(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      log.debug({ jobId: job.id }, 'log follow started');
      try {
        for await (const chunk of deps.launchers.forHandle(run).logs(run, { tail, follow: true, signal: stop.signal })) {
          if (stop.signal.aborted) break;
          await stream.write(chunk);
        }
      } finally {
        clientGone.removeEventListener('abort', onClientGone);
        stop.abort();
        log.debug({ jobId: job.id }, 'log follow ended');
      }
    }, async (error) => {
      log.warn({ err: error, jobId: job.id }, 'log follow failed');
    }) as unknown as ReturnType<typeof c.text<string, 200>>;
  };
}
