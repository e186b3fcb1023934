// What the k8s-native launcher reads from the pods of a run, against a real API server (kwok
// playing the kubelets): which pods are runs (the driver, never the executors that Spark labels
// like it), how a driver pod the kubelet itself ended (evicted) is reported, and what a run
// reads as while the deletion that stopped it is still under way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunHandle } from '../../broker/core/job.ts';
import { buildRunSpec } from '../../broker/core/run-spec.ts';
import type { K8sLauncher } from '../../broker/launchers/k8s/k8s-launcher.ts';
import type { V1Pod } from '../../broker/launchers/k8s/kube-api.ts';
import { createNativeLauncher } from '../../broker/launchers/k8s/launchers.ts';
import { runName } from '../../broker/launchers/k8s/names.ts';
import { DRIVER_CONTAINER } from '../../broker/launchers/k8s/spark-application.ts';
import { KubeCluster, k8sUnavailable } from '../harness/k8s-cluster.ts';
import { driverAnnotations, k8sPipeline, startK8sLauncherFixture, type K8sLauncherFixture } from '../harness/k8s-launcher-fixture.ts';
import { waitFor } from '../harness/wait-for.ts';

const unavailable = k8sUnavailable();
const NS = 'native-pods';

type Pod = { metadata: { name: string; uid: string; labels?: Record<string, string>; annotations?: Record<string, string> }; status?: { phase?: string } };

if (unavailable) {
  console.warn(`k8s-native driver pod tests skipped: ${unavailable}`);
  describe('k8s-native driver pods', () => {
    it.skip('needs the Kubernetes test binaries (run scripts/setup)', () => undefined);
  });
} else {
  describe('k8s-native driver pods', () => {
    let cluster: KubeCluster;
    let fixture: K8sLauncherFixture;
    let launcher: K8sLauncher<V1Pod>;
    let counter = 0;

    beforeAll(async () => {
      cluster = await KubeCluster.start();
      fixture = await startK8sLauncherFixture(cluster, NS);
      launcher = createNativeLauncher(fixture.settings, fixture.lake);
    }, 90_000);
    afterAll(async () => {
      await launcher?.close();
      await fixture?.close();
      await cluster?.stop();
    });

    /** A native run whose simulated driver runs until the test ends it, Running when this returns. */
    async function runningDriver(): Promise<{ jobId: string; handle: RunHandle; pod: Pod }> {
      counter += 1;
      const jobId = `pods${Date.now().toString(36)}x${counter}`;
      const pipeline = k8sPipeline('native-pods', { launcher: 'k8s-native', pod_template: { annotations: driverAnnotations({ runningFor: '24h' }) } });
      const spec = buildRunSpec({ pipeline, jobId, attempt: 1, inputs: [], parameters: {}, runUri: fixture.lake.uri(`native_pods/run=${jobId}-1`) });
      const handle = await launcher.launch({ jobId, attempt: 1, pipeline, spec });
      const pod = await waitFor('the driver to run', async () => {
        const response = await cluster.request<Pod>('GET', `/api/v1/namespaces/${NS}/pods/${runName(jobId, 1)}`);
        return response.body.status?.phase === 'Running' ? response.body : undefined;
      }, 30_000, 100);
      return { jobId, handle, pod };
    }

    it("lists a job's driver as its run, not the executor pods Spark made with the driver's labels and job annotation", async () => {
      const { jobId, handle, pod } = await runningDriver();
      // What Spark's driver makes: spark.kubernetes.executor.label.* and .annotation.* (the run's
      // labels and annotations, from spark.properties), spark-role=executor, owned by the driver.
      const { 'spark-role': _role, ...runLabels } = pod.metadata.labels ?? {};
      for (const id of [1, 2]) {
        await cluster.request('POST', `/api/v1/namespaces/${NS}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${runName(jobId, 1)}-exec-${id}`,
            labels: { ...runLabels, 'spark-role': 'executor', 'spark-exec-id': String(id) },
            annotations: pod.metadata.annotations,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid, controller: true }],
          },
          spec: { restartPolicy: 'Never', serviceAccountName: 'spark', containers: [{ name: 'spark-kubernetes-executor', image: 'registry.example/sluice-spark:4.0' }] },
        });
      }
      const runs = await launcher.runsOf(jobId);
      expect(runs.map((run) => ({ runId: run.runId, attempt: run.attempt }))).toEqual([{ runId: handle.runId, attempt: 1 }]);
      await launcher.cancel(handle);
    }, 60_000);

    it('reports a driver pod evicted by its node as evicted, in the kubelet\'s words, not as a driver short of memory', async () => {
      const { handle, pod } = await runningDriver();
      const message = 'The node was low on resource: ephemeral-storage. Threshold quantity: 1Gi, available: 512Mi. Container spark-kubernetes-driver was using 9Gi, request is 0.';
      const now = new Date().toISOString();
      // What a kubelet writes when it evicts a pod: the pod's reason and message; its container only exit 137.
      await cluster.request('PATCH', `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/status`, {
        status: {
          phase: 'Failed',
          reason: 'Evicted',
          message,
          containerStatuses: [{
            name: DRIVER_CONTAINER, image: 'registry.example/sluice-spark:4.0', imageID: '', ready: false, restartCount: 0, started: false,
            state: { terminated: { exitCode: 137, reason: 'ContainerStatusUnknown', message: 'The container could not be located when the pod was terminated', startedAt: now, finishedAt: now } },
          }],
        },
      }, { contentType: 'application/merge-patch+json' });
      const status = await waitFor('the run to end', async () => {
        const current = await launcher.status(handle);
        return current.phase === 'pending' || current.phase === 'running' ? undefined : current;
      }, 15_000, 100);
      expect(status).toMatchObject({ phase: 'failed', failureClass: 'platform', message: `the driver pod was evicted (exit 137): ${message}` });
    }, 60_000);

    it('a run stopped by Sluice (its stage timed out) whose deletion outlives the call reads as a platform failure, retried, not as a cancel', async () => {
      const { handle, pod } = await runningDriver();
      const path = `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}`;
      // Something holds the pod (a finalizer; or a node that no longer answers): its deletion takes its time.
      await cluster.request('PATCH', path, { metadata: { finalizers: ['test.sluice.io/hold'] } }, { contentType: 'application/merge-patch+json' });
      try {
        // The job step stops the run under its call deadline, which passes before the pod is gone.
        await launcher.cancel(handle, { signal: AbortSignal.timeout(1_500) });
        expect((await cluster.request<Pod & { metadata: { deletionTimestamp?: string } }>('GET', path)).body.metadata.deletionTimestamp).toBeDefined();
        // The step's next delivery reads the run: a stop it made at a timeout must leave the job retryable.
        expect(await launcher.status(handle)).toMatchObject({ phase: 'failed', failureClass: 'platform', message: expect.stringContaining('stopped by Sluice') });
      } finally {
        await cluster.request('PATCH', path, { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
      }
    }, 60_000);
  });
}
