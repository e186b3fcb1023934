// The local launcher's command line: `env … spark-submit --master local[N] … run_aggregate.py
// --spec <file>`, from the pipeline's engine settings, capped by this machine's cores. Kept
// apart from the supervisor (local.ts) so that it can be read, tested and benchmarked alone
// (bench/spark-overhead.ts runs this exact command without Sluice).
import { dirname, join } from 'node:path';
import type { RunRequest } from './launcher.ts';
import { s3Submit, type S3aOptions } from './spark/s3a-settings.ts';

export type SubmitOptions = S3aOptions & {
  sparkSubmit: string;
  /** Holds the entry script, run_aggregate.py. */
  sparkAppsDir: string;
  /** Cores this machine gives one run; a pipeline asking for fewer gets fewer. */
  localCores: number;
  /** Variables set for spark-submit on top of its base environment. */
  env?: Record<string, string> | undefined;
};

/**
 * Spark settings every local run gets unless its pipeline says otherwise. The UI is off:
 * a local run's UI lives only as long as its driver, and on a shared worker each run would
 * contend for port 4040 and upwards; a pipeline may set spark.ui.enabled=true to debug.
 */
const DEFAULT_CONF: Record<string, string> = { 'spark.ui.enabled': 'false' };

/** The supervisor's command: `env` sets the child's extra variables without the broker touching its own environment. */
export function sparkSubmitArgs(options: SubmitOptions, request: RunRequest, runId: string, specPath: string): string[] {
  const engine = request.pipeline.engine;
  const s3 = s3Submit(options, request.spec);
  const env: Record<string, string> = {
    // spark-submit finds its Spark home and runs the driver with this Python: the one it was installed with.
    ...(options.sparkSubmit.includes('/') ? { PYSPARK_PYTHON: join(dirname(options.sparkSubmit), 'python') } : {}),
    // A local run needs no other address; it also spares Spark guessing one from the hostname.
    SPARK_LOCAL_IP: '127.0.0.1',
    ...s3?.env,
    ...options.env,
  };
  // The pipeline's own settings win, as over the defaults.
  const conf = { ...DEFAULT_CONF, ...s3?.conf, ...engine.conf };
  return [
    'env',
    ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
    options.sparkSubmit,
    '--master', `local[${Math.min(engine.cores, options.localCores)}]`,
    '--name', `sluice-${runId}`,
    // In local mode the executors live in the driver's JVM: driver memory is the run's memory.
    '--driver-memory', engine.driver_memory,
    ...(s3 ? ['--jars', s3.jars.join(',')] : []),
    ...Object.entries(conf).flatMap(([key, value]) => ['--conf', `${key}=${value}`]),
    join(options.sparkAppsDir, 'run_aggregate.py'),
    '--spec', specPath,
  ];
}
