// The launcher contract (launcher-contract.ts) for a Kubernetes launcher, against a real API
// server with kwok playing the kubelets (and, for k8s-operator, the Spark Operator). The stand-in
// driver ends as the contract asks through its pod annotations; Sluice uses its own
// ServiceAccount's token bound to the chart's broker Role.
import { describe, it } from 'vitest';
import { buildRunSpec } from '../../broker/core/run-spec.ts';
import type { Launcher } from '../../broker/launchers/launcher.ts';
import { runIdOf, runName } from '../../broker/launchers/k8s/names.ts';
import { KubeCluster, k8sUnavailable } from './k8s-cluster.ts';
import { driverAnnotations, k8sPipeline, startK8sLauncherFixture, type K8sLauncherFixture } from './k8s-launcher-fixture.ts';
import { launcherContract, type ContractJob, type ContractRunKind } from './launcher-contract.ts';

type K8sLauncherName = 'k8s-native' | 'k8s-operator';

export function k8sLauncherContract(name: K8sLauncherName, create: (fixture: K8sLauncherFixture) => Launcher & { close(): Promise<void> }): void {
  const unavailable = k8sUnavailable();
  const namespace = name.replace('k8s-', 'contract-');
  if (unavailable) {
    console.warn(`${name} contract skipped: ${unavailable}`);
    describe(`launcher contract: ${name}`, () => {
      it.skip('needs the Kubernetes test binaries (run scripts/setup)', () => undefined);
    });
    return;
  }
  launcherContract(name, async () => {
    const cluster = await KubeCluster.start();
    const fixture = await startK8sLauncherFixture(cluster, namespace);
    const launcher = create(fixture);
    return {
      launcher,
      endTimeoutMs: 30_000,
      run(kind: ContractRunKind, { jobId, attempt }: ContractJob) {
        const failure =
          kind.kind !== 'fails'
            ? undefined
            : kind.failureClass === 'data'
              ? { message: `input s3://landing/${jobId}-corrupt.parquet: not a Parquet file`, input: `s3://landing/${jobId}-corrupt.parquet` }
              : kind.failureClass === 'platform'
                ? { message: 'java.lang.IllegalStateException: stand-in crash' }
                : { message: 'stand-in failure' };
        // A platform failure is a driver that crashed: exit 1, its log ending in a stack trace, no failure line.
        const line =
          kind.kind === 'fails' && kind.failureClass === 'platform'
            ? `Exception in thread "main" ${failure!.message}\n\tat org.apache.spark.deploy.PythonRunner.main(PythonRunner.scala:1)`
            : `SLUICE_FAILURE ${JSON.stringify({ class: kind.kind === 'fails' ? kind.failureClass : undefined, ...failure })}`;
        const exitCode = kind.kind !== 'fails' ? 0 : { user: 64, data: 65, platform: 1 }[kind.failureClass];
        const annotations =
          kind.kind === 'fails'
            ? driverAnnotations({ failWith: { exitCode, line } })
            : driverAnnotations({ exitCode: 0, runningFor: kind.kind === 'runs-long' ? '24h' : '1s' });
        const pipeline = k8sPipeline(namespace, { launcher: name, pod_template: { annotations } });
        const inputs = failure?.input ? [failure.input] : [];
        const spec = buildRunSpec({ pipeline, jobId, attempt, inputs, parameters: {}, runUri: fixture.lake.uri(`${namespace.replace('-', '_')}/run=${jobId}-${attempt}`) });
        // The app commits as it ends: the manifest is there before the driver exits 0.
        if (kind.kind === 'succeeds') void fixture.commit(pipeline, jobId, attempt);
        return { request: { jobId, attempt, pipeline, spec }, ...(failure ? { failure } : {}) };
      },
      missingHandle: ({ jobId, attempt }: ContractJob) => ({ launcher: name, runId: runIdOf(namespace, runName(jobId, attempt)), attempt, startedAt: new Date().toISOString() }),
      async close() {
        await launcher.close();
        await fixture.close();
        await cluster.stop();
      },
    };
  });
}
