// The smallest valid pipeline, parsed with its defaults, and `fields` over it: for unit tests
// about one part of a pipeline (its engine, its alerts, its sources).
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';

export function minimalPipeline(name: string, fields: Record<string, unknown> = {}): Pipeline {
  return PipelineSchema.parse({
    name,
    input: { columns: { x: 'long' } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: name.replace(/-/g, '_') } },
    ...fields,
  });
}
