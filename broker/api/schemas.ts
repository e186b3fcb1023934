// The API's OpenAPI components, built from the core zod schemas (never re-declared here):
// a route file picks what it needs. Core schemas are named with zod's own `.meta({ id })`,
// not `.openapi()`: they may be created before @hono/zod-openapi extends zod (import
// order), and zod copies `.openapi` onto a schema only when it is constructed.
import { z } from '@hono/zod-openapi';
import { JobStateSchema, SubmitRequestSchema } from '../core/job.ts';
import { NameSchema, PipelineSchema } from '../core/pipeline.ts';
import type { QueueView } from './api-deps.ts';
import { JobViewSchema } from './job-view.ts';

export { JobViewSchema };

export const SubmitRequestBodySchema = SubmitRequestSchema.meta({ id: 'SubmitRequest' });

export const JobPageSchema = z
  .object({
    items: z.array(JobViewSchema),
    nextCursor: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page; absent on the last page.' }),
  })
  .openapi('JobPage');

export const PipelineResponseSchema = PipelineSchema.extend({
  nextRuns: z
    .array(z.string())
    .optional()
    .meta({ description: "With a schedule: its next tick times (ISO 8601, UTC), from the cron expression read in the schedule's time zone." }),
}).meta({ id: 'Pipeline' });

export const PipelineListSchema = z.object({ items: z.array(PipelineResponseSchema) }).openapi('PipelineList');

export const QueueViewSchema = z
  .object({
    name: z.string(),
    paused: z.boolean(),
    counts: z.record(z.string(), z.number().int()),
  })
  .openapi('Queue') satisfies z.ZodType<QueueView>;

export const QueueListSchema = z.object({ items: z.array(QueueViewSchema) }).openapi('QueueList');

export const JobIdParamsSchema = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be a job id')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'j0hzk3m4pqrstvwxyz' }),
});

export const PipelineNameParamsSchema = z.object({
  name: NameSchema.meta({ param: { name: 'name', in: 'path' }, example: 'daily-sales' }),
});

export const QueueNameParamsSchema = z.object({
  name: z.string().min(1).max(64).openapi({ param: { name: 'name', in: 'path' }, example: 'jobs' }),
});

export { JobStateSchema };
