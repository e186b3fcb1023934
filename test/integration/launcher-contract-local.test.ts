// The local launchers held to the launcher contract (test/harness/launcher-contract.ts): the
// Spark one with the real spark-submit of .venv running the stand-in app
// (test/harness/stand-in-app.ts), and the embedded engine's, which differs only in its command
// line (embedded-args.ts), with the .venv's Python running the same stand-in as run_embedded.py.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildRunSpec } from '../../broker/core/run-spec.ts';
import { embeddedCommand } from '../../broker/launchers/embedded-args.ts';
import { LocalLauncher, type LocalCommand } from '../../broker/launchers/local.ts';
import { launcherContract, type ContractRunKind, type ContractJob } from '../harness/launcher-contract.ts';
import { standInAppsDir, standInPipeline } from '../harness/stand-in-app.ts';

const REPO = resolve(import.meta.dirname, '../..');
const pipeline = standInPipeline('contract-local');

const COMMANDS: Array<[string, LocalCommand | undefined]> = [
  ['local', undefined],
  ['embedded', embeddedCommand({ python: join(REPO, '.venv/bin/python'), memory: '256MB' })],
];

for (const [name, command] of COMMANDS) launcherContract(name, async () => {
  const dir = await mkdtemp(join(tmpdir(), `sluice-contract-${name}-`));
  const appsDir = await standInAppsDir();
  await copyFile(join(appsDir, 'run_aggregate.py'), join(appsDir, 'run_embedded.py'));
  const launcher = new LocalLauncher({
    runsDir: join(dir, 'runs'),
    sparkSubmit: join(REPO, '.venv/bin/spark-submit'),
    sparkAppsDir: appsDir,
    localCores: 1,
    ...(command ? { command } : {}),
  });
  return {
    launcher,
    run(kind: ContractRunKind, { jobId, attempt }: ContractJob) {
      // The stand-in fails a run with class data naming an input whose name holds "corrupt"; `exit` ends it with that code.
      const corrupt = join(dir, 'landing', `${jobId}-corrupt.parquet`);
      const inputs = kind.kind === 'fails' && kind.failureClass === 'data' ? [corrupt] : [];
      // A platform failure: the stand-in's any other exit code (after its line, which the log keeps).
      const exit = kind.kind !== 'fails' ? 0 : kind.failureClass === 'user' ? 64 : kind.failureClass === 'platform' ? 1 : 0;
      const parameters = { seconds: kind.kind === 'runs-long' ? 600 : 0, exit };
      const spec = buildRunSpec({ pipeline, jobId, attempt, inputs, parameters, runUri: `file://${dir}/lake/run=${jobId}-${attempt}` });
      const request = { jobId, attempt, pipeline, spec };
      if (kind.kind !== 'fails') return { request };
      return {
        request,
        failure: kind.failureClass === 'data' ? { message: `input ${corrupt}: not a Parquet file`, input: corrupt } : { message: 'stand-in failure' },
      };
    },
    missingHandle: ({ jobId, attempt }: ContractJob) => ({ launcher: name, runId: `${jobId}-${attempt}`, attempt, startedAt: new Date().toISOString() }),
    startLine: ({ jobId, attempt }: ContractJob) => `stand-in run job=${jobId} attempt=${attempt}`,
    async close() {
      await launcher.close();
      await rm(dir, { recursive: true, force: true });
      await rm(appsDir, { recursive: true, force: true });
    },
  };
});
