// The one pipeline of the broker, events and dashboard benchmarks: the API validates submits
// against it and the worker runs it (on the instant launcher), with no cap that would queue them.
import { pipelineRegistry, type PipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { minimalPipeline } from '../test/harness/minimal-pipeline.ts';

export const benchPipelines = (): PipelineRegistry => pipelineRegistry([minimalPipeline('bench', { policy: { concurrency: 1_000 } })]);
