// A worker whose pipelines run on local Spark with no spark-submit to run started without a
// word, and its first job failed at launch. It still starts (its other pipelines may run on
// Kubernetes or the embedded engine, and a mount may come later), but says so at once.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Logger } from 'pino';
import { mayRunSpark, type Pipeline } from '../core/pipeline.ts';

/** Whether `command` (a path, or a name looked up in `path`, a PATH value) is a file this process may run. */
export function canRun(command: string, path: string): boolean {
  const candidates = command.includes('/') ? [command] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Warns, naming SLUICE_SPARK_SUBMIT and the pipelines, when local Spark runs would find no spark-submit. */
export function warnMissingSparkSubmit(pipelines: Pipeline[], sparkSubmit: string, path: string, logger: Logger): void {
  const onLocalSpark = pipelines.filter((pipeline) => pipeline.engine.launcher === 'local' && mayRunSpark(pipeline)).map((pipeline) => pipeline.name);
  if (onLocalSpark.length === 0 || canRun(sparkSubmit, path)) return;
  logger.warn({ setting: 'SLUICE_SPARK_SUBMIT', sparkSubmit, pipelines: onLocalSpark }, 'SLUICE_SPARK_SUBMIT cannot be run: these pipelines\' local Spark runs will fail at launch');
}
