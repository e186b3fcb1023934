// A folder source must lie inside SLUICE_LANDING_ROOTS: the jobs its landings start read
// only files under those roots (jobs-service confines inputs to them as configured, and the
// launch step again once symlinks are resolved). A source outside them would have every
// batch refused at submit and retried for ever, quietly; so start-up is refused instead,
// naming the pipeline, the path and the setting.
import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, isMissingFile } from '../broker/core/errors.ts';
import type { Pipeline } from '../broker/core/pipeline.ts';
import { isInside } from '../broker/jobs/input-paths.ts';

/** Throws a ConfigError for the first fs source outside the roots (as written, or once symlinks are resolved). */
export async function checkSourcesInsideRoots(pipelines: ReadonlyArray<Pick<Pipeline, 'name' | 'sources'>>, roots: readonly string[]): Promise<void> {
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => resolve(root))));
  for (const pipeline of pipelines) {
    for (const source of pipeline.sources) {
      if (source.kind !== 'fs') continue;
      const path = resolve(source.path);
      const real = await realpath(path).catch((error: unknown) => {
        if (isMissingFile(error)) throw new ConfigError(`pipeline "${pipeline.name}": the fs source folder "${source.path}" does not exist`);
        throw error;
      });
      const asWritten = roots.some((root) => isInside(resolve(root), path));
      const resolved = realRoots.some((root) => isInside(root, real));
      if (asWritten && resolved) continue;
      const where = real === path ? `"${source.path}"` : `"${source.path}" (which leads to "${real}")`;
      throw new ConfigError(
        `pipeline "${pipeline.name}": the fs source folder ${where} is outside the landing roots; ` +
          `add it to SLUICE_LANDING_ROOTS (now ${roots.length > 0 ? roots.join(',') : 'empty'}) or move the source under one of them`,
      );
    }
  }
}
