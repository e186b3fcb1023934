// Spark path overhead: the same small job through Sluice (HTTP submit → queue → local
// launcher → committed manifest → succeeded) against plain spark-submit of the same app with
// the same arguments, alternating, in the same run. Prints the median of the paired
// differences: a local Spark run of ~16 s varies by a second or two from one run to the next
// on two cores, so rounds are paired and several, and their spread is printed beside it.
//   BENCH spark_job_overhead <seconds> s        (target < 1)
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { runKey } from '../broker/core/manifest.ts';
import { buildRunSpec } from '../broker/core/run-spec.ts';
import { expandInputs } from '../broker/jobs/input-paths.ts';
import { sparkSubmitArgs } from '../broker/launchers/local-submit-args.ts';
import { loadPipelines } from '../broker/pipelines/load-pipelines.ts';
import { startSluice } from '../broker/sluice.ts';
import { generateReadings } from '../test/harness/sample-data.ts';
import { createSluiceEnv } from '../test/harness/sluice-env.ts';
import { median, report } from './stats.ts';
import { isFinal } from '../broker/core/job.ts';
import { SluiceClient } from '../broker/cli/sluice-client.ts';

const ROUNDS = 5;

export async function sparkOverhead(): Promise<void> {
  // What Sluice adds to a spark-submit: the job must run on Spark, however small its landing
  // (engine.kind auto would take the embedded engine, whose figures are bench/engine.ts's).
  const env = await createSluiceEnv({ SLUICE_LOG_LEVEL: 'warn', SLUICE_AWAIT_POLL: '5s', SLUICE_EMBEDDED_MAX_BYTES: '0' });
  try {
    const inputDir = join(env.landing, 'meter-readings');
    await generateReadings(inputDir, 50_000, 2);
    const pipeline = (await loadPipelines('examples/pipelines')).get('meter-daily')!;
    const config = env.config();
    const sluice = await startSluice(config, { api: true, worker: true });
    const client = new SluiceClient(`http://127.0.0.1:${sluice.port}`, env.apiKey);
    const plainTimes: number[] = [];
    const sluiceTimes: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round += 1) {
        // Plain spark-submit: the launcher's own command line, run in the foreground.
        const runId = `plain-${round}`;
        const specPath = join(env.dir, `${runId}.json`);
        const spec = buildRunSpec({
          pipeline,
          jobId: runId,
          attempt: 1,
          inputs: await expandInputs([inputDir], config.SLUICE_LANDING_ROOTS),
          parameters: {},
          runUri: sluice.lake.uri(runKey('meter_daily', runId, 1)),
        });
        await mkdir(env.dir, { recursive: true });
        await writeFile(specPath, JSON.stringify(spec));
        const [command, ...args] = sparkSubmitArgs(
          { sparkSubmit: config.SLUICE_SPARK_SUBMIT, sparkAppsDir: config.SLUICE_SPARK_APPS_DIR, localCores: config.SLUICE_SPARK_LOCAL_CORES },
          { jobId: runId, attempt: 1, pipeline, spec },
          runId,
          specPath,
        );
        let start = performance.now();
        const child = spawn(command!, args, { stdio: 'ignore' });
        const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
        if (code !== 0) throw new Error(`plain spark-submit exited with ${code}`);
        plainTimes.push((performance.now() - start) / 1_000);

        // Through Sluice, over HTTP, until the job is succeeded.
        start = performance.now();
        const { id } = await client.submit({ pipeline: 'meter-daily', inputs: ['meter-readings'] });
        const done = await new Promise<string>((resolve) =>
          sluice.store.onTransition((job) => {
            if (job.id === id && isFinal(job.state)) resolve(job.state);
          }),
        );
        if (done !== 'succeeded') throw new Error(`the Sluice job ended ${done}`);
        sluiceTimes.push((performance.now() - start) / 1_000);
        process.stdout.write(`spark: round ${round + 1}: plain ${plainTimes.at(-1)!.toFixed(2)} s, via Sluice ${sluiceTimes.at(-1)!.toFixed(2)} s\n`);
      }
    } finally {
      await sluice.close();
    }
    const added = sluiceTimes.map((time, round) => time - plainTimes[round]!);
    process.stdout.write(`spark: added per round ${added.map((seconds) => seconds.toFixed(2)).join(', ')} s\n`);
    report('spark_job_overhead', median(added), 's');
  } finally {
    await env.close();
  }
}
