// Where a run on Kubernetes can read its inputs: the lake or S3 (URIs every pod can open), or a
// path under one of the pipeline's volumes, which the launchers mount at the same path in the
// driver and every executor. A landing path on the broker's disk that no volume maps would
// exist for the broker and not for Spark: it is refused before anything is created, naming the
// pipeline and the path.
import { UserError } from '../core/errors.ts';
import { isKubernetesLauncher } from '../core/k8s-engine.ts';
import { mayRunSpark, type Pipeline } from '../core/pipeline.ts';
import { fileURLToPath } from 'node:url';
import { isInside } from './input-paths.ts';

const REMOTE_URI = /^(s3a?|gs|abfss?|hdfs):\/\//i;

/** The inputs no pod of the run could read; empty when every input is remote or on a declared volume. */
export function unmappedInputs(pipeline: Pick<Pipeline, 'engine'>, inputs: readonly string[]): string[] {
  const mounts = pipeline.engine.volumes.map((volume) => volume.mount);
  return inputs.filter((input) => {
    if (REMOTE_URI.test(input)) return false;
    let path = input;
    if (/^file:/i.test(input)) {
      try {
        path = fileURLToPath(input);
      } catch {
        return true;
      }
    }
    return !mounts.some((mount) => isInside(mount, path));
  });
}

/** Throws a UserError naming the pipeline and the first inputs that no volume maps. */
export function checkInputsOnVolumes(pipeline: Pick<Pipeline, 'name' | 'engine'>, inputs: readonly string[]): void {
  const unmapped = unmappedInputs(pipeline, inputs);
  if (unmapped.length === 0) return;
  const shown = unmapped.slice(0, 3).join(', ') + (unmapped.length > 3 ? ` (and ${unmapped.length - 3} more)` : '');
  const mounts = pipeline.engine.volumes.map((volume) => volume.mount);
  throw new UserError(
    'input-not-on-volume',
    `pipeline "${pipeline.name}" runs on Kubernetes (engine.launcher ${pipeline.engine.launcher}), where ${shown} cannot be read: ` +
      `an input must be an s3:// URI or a path under one of the pipeline's volumes (engine.volumes: ${mounts.join(', ') || 'none declared'})`,
    422,
    unmapped.slice(0, 20).map((path) => ({ path: 'inputs', message: `${path} is on no volume of pipeline "${pipeline.name}"` })),
  );
}

/**
 * The pipelines whose Spark runs on Kubernetes would write a `file://` lake (SLUICE_LAKE_URI)
 * that no writable volume of theirs maps: the driver would write it inside its own container,
 * the broker would never find the run's manifest, and each attempt would end lost. Said at a
 * worker's start (a refusal would stop pipelines that mount the lake by other means, such as
 * a pod template's node path); an s3:// lake is never at fault.
 */
export function lakeOffVolumes(pipelines: readonly Pick<Pipeline, 'name' | 'engine'>[], lakeUri: string): string[] {
  if (!/^file:/i.test(lakeUri)) return [];
  const lake = fileURLToPath(lakeUri);
  return pipelines
    .filter((pipeline) => isKubernetesLauncher(pipeline.engine.launcher) && mayRunSpark(pipeline))
    .filter((pipeline) => !pipeline.engine.volumes.some((volume) => !volume.read_only && isInside(volume.mount, lake)))
    .map((pipeline) => pipeline.name);
}
