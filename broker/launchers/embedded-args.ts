// The embedded engine's command line (issue 12, ADR 0021): `env … python run_embedded.py --spec
// <file> --memory <limit> --temp-dir spill --threads N`, run by the same supervisor as a local
// Spark run (local.ts). DuckDB spills to the run directory's `spill` folder past the memory
// limit, and the supervisor removes that folder as the run ends (a DuckDB killed by a cancel or
// a timeout cannot clean up after itself). S3 reaches it as it reaches the Spark app's own
// S3 client (pyarrow): region, endpoint and addressing as variables, keys only in the
// environment (local.ts puts them there).
import { dirname, join } from 'node:path';
import type { LocalCommand, LocalLauncherOptions } from './local.ts';
import type { RunRequest } from './launcher.ts';
import { s3Access } from './spark/s3a-settings.ts';

/** The launcher key the embedded engine is registered under, and its run handles' launcher. */
export const EMBEDDED_LAUNCHER = 'embedded';

export type EmbeddedOptions = {
  /** The Python of the project's environment (the one spark-submit was installed with). */
  python: string;
  /** DuckDB's memory limit for one run, e.g. "6GB" (SLUICE_EMBEDDED_MEMORY). */
  memory: string;
};

/** The Python of the environment spark-submit was installed in (`.venv/bin/python` beside `.venv/bin/spark-submit`). */
export function pythonBeside(sparkSubmit: string): string {
  return sparkSubmit.includes('/') ? join(dirname(sparkSubmit), 'python') : 'python3';
}

/** A size as DuckDB's memory_limit takes it (whole megabytes, at least one). */
export function duckdbSize(bytes: number): string {
  return `${Math.max(1, Math.floor(bytes / 1_000_000))}MB`;
}

/** The spill folder, relative to the run directory the supervisor runs in. */
export const SPILL_DIR = 'spill';

export function embeddedCommand(embedded: EmbeddedOptions): LocalCommand {
  return {
    launcher: EMBEDDED_LAUNCHER,
    program: 'the embedded engine',
    needsS3aJars: false,
    // Its spill outlives a run killed mid-spill (Python's cleanup never runs): the supervisor removes it.
    scratch: SPILL_DIR,
    args: (options: LocalLauncherOptions, request: RunRequest, _runId: string, specPath: string) => {
      const s3 = s3Access(options.s3, request.spec);
      const env = { ...s3?.env, ...options.env };
      return [
        'env',
        ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
        embedded.python,
        join(options.sparkAppsDir, 'run_embedded.py'),
        '--spec', specPath,
        '--memory', embedded.memory,
        '--temp-dir', SPILL_DIR,
        '--threads', String(Math.min(request.pipeline.engine.cores, options.localCores)),
      ];
    },
  };
}
