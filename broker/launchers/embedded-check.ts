// Asks the embedded engine, once at a worker's start, which pipelines' transforms it can run
// (spark-apps/embedded_check.py: sqlglot translates each filter, derived column and SQL
// statement from Spark SQL to DuckDB, or says which expression it cannot and why). A worker
// without the engine (no Python environment, an apps folder without it) says so instead, and
// `auto` pipelines then run on Spark.
import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { Pipeline } from '../core/pipeline.ts';
import { lastLines } from './log-tail.ts';

export type EmbeddedCheck = {
  /** Why this worker cannot run the embedded engine at all, when it cannot. */
  unavailable?: string;
  /** Pipeline name → why its transform cannot run on the embedded engine. */
  untranslatable: Map<string, string>;
};

type Answer = { pipeline: string; ok: boolean; reason?: string };

const CHECK_TIMEOUT_MS = 60_000;

export async function checkEmbeddedTransforms(options: { python: string; sparkAppsDir: string; pipelines: readonly Pipeline[]; env?: Record<string, string> }): Promise<EmbeddedCheck> {
  const untranslatable = new Map<string, string>();
  const asked = options.pipelines.filter((pipeline) => pipeline.engine.kind !== 'spark');
  for (const file of ['run_embedded.py', 'embedded_check.py']) {
    if (!(await exists(join(options.sparkAppsDir, file)))) return { unavailable: `no ${file} in ${options.sparkAppsDir} (SLUICE_SPARK_APPS_DIR)`, untranslatable };
  }
  if (!(await exists(options.python))) return { unavailable: `no Python at ${options.python} (the project's environment, next to SLUICE_SPARK_SUBMIT; run scripts/setup)`, untranslatable };
  if (asked.length === 0) return { untranslatable };
  // The input columns and engine.conf go along: a derived column named as an input column, or
  // a setting that changes what Spark SQL computes (its session time zone, say), is Spark's.
  const request = asked.map((pipeline) => ({
    pipeline: pipeline.name,
    transform: pipeline.transform,
    parameters: pipeline.parameters,
    columns: pipeline.input.columns,
    conf: pipeline.engine.conf,
  }));
  let answers: Answer[];
  try {
    answers = JSON.parse(await run(options.python, [join(options.sparkAppsDir, 'embedded_check.py')], JSON.stringify(request), options.env)) as Answer[];
  } catch (error) {
    return { unavailable: `the embedded engine's check failed: ${(error as Error).message}`, untranslatable };
  }
  for (const answer of answers) if (!answer.ok) untranslatable.set(answer.pipeline, answer.reason ?? 'not translatable');
  return { untranslatable };
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

function run(command: string, args: string[], input: string, env: Record<string, string> | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CHECK_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${signal ? `killed by ${signal}` : `exit ${code}`}: ${lastLines(stderr.trim(), 3).replaceAll('\n', ' ') || 'no message'}`));
    });
    child.stdin.end(input);
  });
}

/** A pipeline that forces the embedded engine must be able to have it: said at start, not at its first job. */
export function refuseUnrunnableEmbedded(pipelines: readonly Pipeline[], check: EmbeddedCheck): void {
  for (const pipeline of pipelines) {
    if (pipeline.engine.kind !== 'embedded') continue;
    if (check.unavailable) throw new ConfigError(`pipeline "${pipeline.name}" sets engine.kind: embedded, but this worker has no embedded engine: ${check.unavailable}`);
    const why = check.untranslatable.get(pipeline.name);
    if (why) throw new ConfigError(`pipeline "${pipeline.name}" sets engine.kind: embedded, but its transform cannot run there: ${why} (set engine.kind: auto to run it on Spark)`);
  }
}
