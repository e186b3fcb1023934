// The k8s-native launcher held to the launcher contract (test/harness/launcher-contract.ts)
// against a real API server, with kwok playing the kubelets (the driver pod is Sluice's own), and Sluice
// using its own ServiceAccount's token bound to the chart's broker Role.
import { describe, it } from 'vitest';
import { buildRunSpec } from '../../broker/core/run-spec.ts';
import { createNativeLauncher } from '../../broker/launchers/k8s/launchers.ts';
import { runIdOf, runName } from '../../broker/launchers/k8s/names.ts';
import { KubeCluster, k8sUnavailable } from '../harness/k8s-cluster.ts';
import { driverAnnotations, k8sPipeline, startK8sLauncherFixture } from '../harness/k8s-launcher-fixture.ts';
import { launcherContract, type ContractJob, type ContractRunKind } from '../harness/launcher-contract.ts';

const unavailable = k8sUnavailable();
const NS = 'contract-native';

if (unavailable) {
  console.warn(`k8s-native contract skipped: ${unavailable}`);
  describe('launcher contract: k8s-native', () => {
    it.skip('needs the Kubernetes test binaries (run scripts/setup)', () => undefined);
  });
} else {
  launcherContract('k8s-native', async () => {
    const cluster = await KubeCluster.start();
    const fixture = await startK8sLauncherFixture(cluster, NS);
    const launcher = createNativeLauncher(fixture.settings, fixture.lake);
    return {
      launcher,
      endTimeoutMs: 30_000,
      run(kind: ContractRunKind, { jobId, attempt }: ContractJob) {
        const failure =
          kind.kind !== 'fails'
            ? undefined
            : kind.failureClass === 'data'
              ? { message: `input s3://landing/${jobId}-corrupt.parquet: not a Parquet file`, input: `s3://landing/${jobId}-corrupt.parquet` }
              : { message: 'stand-in failure' };
        const annotations =
          kind.kind === 'fails'
            ? driverAnnotations({ failWith: { exitCode: kind.failureClass === 'user' ? 64 : 65, line: `SLUICE_FAILURE ${JSON.stringify({ class: kind.failureClass, ...failure })}` } })
            : driverAnnotations({ exitCode: 0, runningFor: kind.kind === 'runs-long' ? '24h' : '1s' });
        const pipeline = k8sPipeline('contract-native', { launcher: 'k8s-native', pod_template: { annotations } });
        const inputs = failure?.input ? [failure.input] : [];
        const spec = buildRunSpec({ pipeline, jobId, attempt, inputs, parameters: {}, runUri: fixture.lake.uri(`contract_native/run=${jobId}-${attempt}`) });
        // The app commits as it ends: the manifest is there before the driver exits 0.
        if (kind.kind === 'succeeds') void fixture.commit(pipeline, jobId, attempt);
        return { request: { jobId, attempt, pipeline, spec }, ...(failure ? { failure } : {}) };
      },
      missingHandle: ({ jobId, attempt }: ContractJob) => ({ launcher: 'k8s-native', runId: runIdOf(NS, runName(jobId, attempt)), attempt, startedAt: new Date().toISOString() }),
      async close() {
        await launcher.close();
        await fixture.close();
        await cluster.stop();
      },
    };
  });
}
