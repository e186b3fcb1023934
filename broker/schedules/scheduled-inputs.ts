// A schedule's tick submits the pipeline's input.paths, and nobody is there to read a 422: a
// path the submit refuses (outside SLUICE_LANDING_ROOTS, an s3:// object no S3 root covers,
// a path no Kubernetes volume mounts) would make every tick fail in a log line. A worker
// refuses such a pipeline at start-up instead (docs/adr/0019-schedules.md), through the very
// checks the submit makes, so that the two cannot disagree.
import { ConfigError, UserError } from '../core/errors.ts';
import type { S3Root } from '../jobs/input-paths.ts';
import { acceptedInputs } from '../jobs/jobs-service.ts';
import type { PipelineRegistry } from '../pipelines/load-pipelines.ts';

export type InputRoots = { landingRoots: readonly string[]; s3Roots: readonly S3Root[] };

/** Throws a ConfigError naming the pipeline's file, each refused path and the setting to change. */
export function checkScheduledInputs(pipelines: PipelineRegistry, roots: InputRoots): void {
  for (const pipeline of pipelines.list()) {
    if (!pipeline.schedule) continue;
    try {
      acceptedInputs(pipeline, pipeline.input.paths, { pipelines, ...roots, field: 'input.paths' });
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      const where = pipelines.file(pipeline.name) ?? `pipeline "${pipeline.name}"`;
      const problems = error.details.map((detail) => `  ${detail.path}: ${detail.message}`);
      const hint =
        error.code === 'input-outside-roots'
          ? [`  SLUICE_LANDING_ROOTS is ${roots.landingRoots.join(':') || 'empty'}: move the paths under a root, or add their folder to SLUICE_LANDING_ROOTS (s3:// paths: their prefix to SLUICE_S3_LANDING_ROOTS)`]
          : [];
      throw new ConfigError(`${where}: schedule: every tick would be refused: ${error.message}\n${[...problems, ...hint].join('\n')}`, { cause: error });
    }
  }
}
