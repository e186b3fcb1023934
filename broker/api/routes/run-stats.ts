// GET /v1/stats/runs — per pipeline, the jobs that finished in the last `hours` hours:
// outcome counts, p50/p95 duration and an hourly trend (broker/core/run-stats.ts), read from
// the `finished` index by finish time. One request reads at most RUNS_READ_AT_MOST records,
// the newest; past that the answer says `truncated` and from when its counts are complete.
import { createRoute, z, type RouteHandler } from '@hono/zod-openapi';
import { HOUR_MS, summarizeRuns } from '../../core/run-stats.ts';
import type { ApiDeps } from '../api-deps.ts';
import type { ApiEnv } from '../api-env.ts';
import { authResponses, protect } from '../auth.ts';
import { problemResponse, unavailableResponse } from '../problem.ts';

/** Job records one request reads at most (in MGET batches): the cost of the answer stays bounded however busy the window was. */
export const RUNS_READ_AT_MOST = 10_000;

const QuerySchema = z.strictObject({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(168)
    .default(24)
    .openapi({ description: 'The window: the last `hours` hours up to now (1 to 168, a week). The trend has one bucket per hour.', example: 24 }),
});

const countsPerHour = z.array(z.number().int().min(0)).openapi({ description: 'One count per hour of the window, oldest first.' });

const PipelineRunsSchema = z
  .object({
    pipeline: z.string(),
    succeeded: z.number().int().min(0),
    failed: z.number().int().min(0),
    cancelled: z.number().int().min(0),
    p50Ms: z
      .number()
      .int()
      .min(0)
      .nullable()
      .openapi({ description: 'Median duration in ms of the succeeded and failed jobs, from submit (createdAt) to the final state, so queue time and every attempt count; null without such jobs. Cancelled jobs are counted but not timed.' }),
    p95Ms: z.number().int().min(0).nullable().openapi({ description: '95th percentile (nearest rank) of the same durations as p50Ms.' }),
    trend: z.object({ succeeded: countsPerHour, failed: countsPerHour }),
  })
  .openapi('PipelineRuns');

const RunStatsSchema = z
  .object({
    from: z.string().openapi({ description: 'Start of the window (ISO 8601, UTC).' }),
    until: z.string().openapi({ description: 'End of the window: the time of the request.' }),
    hours: z.number().int(),
    total: z.number().int().min(0).openapi({ description: 'Jobs that reached a final state in the window.' }),
    truncated: z.boolean().openapi({ description: `True when the window held more than ${RUNS_READ_AT_MOST.toLocaleString('en')} finished jobs: only the newest ${RUNS_READ_AT_MOST.toLocaleString('en')} are counted, and the counts are complete from \`countedFrom\` on.` }),
    countedFrom: z.string().openapi({ description: 'From when the counts are complete: `from`, unless truncated.' }),
    items: z.array(PipelineRunsSchema).openapi({ description: 'Every loaded pipeline (with zeros when it had no runs) and any other pipeline with runs in the window, by name.' }),
  })
  .openapi('RunStats');

export const runStatsRoute = createRoute({
  method: 'get',
  path: '/v1/stats/runs',
  operationId: 'getRunStats',
  tags: ['pipelines'],
  summary: 'Runs per pipeline over the last hours',
  description:
    `Per pipeline, the jobs that reached a final state (succeeded, failed, cancelled) in the last \`hours\` hours, by finish time: counts, p50 and p95 duration, and succeeded/failed counts per hour. A request reads at most ${RUNS_READ_AT_MOST.toLocaleString('en')} job records (the newest); when the window held more, \`truncated\` is true.`,
  ...protect('jobs:read'),
  request: { query: QuerySchema },
  responses: {
    200: { description: 'The runs per pipeline.', content: { 'application/json': { schema: RunStatsSchema } } },
    ...authResponses,
    ...unavailableResponse,
    422: problemResponse('An invalid `hours`.'),
  },
});

export function runStats(deps: ApiDeps): RouteHandler<typeof runStatsRoute, ApiEnv> {
  return async (c) => {
    const { hours } = c.req.valid('query');
    const untilMs = Date.now();
    const fromMs = untilMs - hours * HOUR_MS;
    const { total, runs } = await deps.jobs.finishedIn(fromMs, untilMs, RUNS_READ_AT_MOST);
    const truncated = total > RUNS_READ_AT_MOST;
    const finished = runs.map(({ job, finishedAtMs }) => ({ pipeline: job.pipeline, state: job.state, createdAtMs: Date.parse(job.createdAt), finishedAtMs }));
    // Newest first: the last one read is the oldest counted.
    const countedFromMs = truncated && runs.length > 0 ? runs.at(-1)!.finishedAtMs : fromMs;
    const items = summarizeRuns(finished, { untilMs, hours }, deps.pipelines.list().map((pipeline) => pipeline.name));
    return c.json({ from: new Date(fromMs).toISOString(), until: new Date(untilMs).toISOString(), hours, total, truncated, countedFrom: new Date(countedFromMs).toISOString(), items }, 200);
  };
}
