// The Kubernetes test cluster of test/harness/k8s-cluster.ts, proven before the launchers lean on
// it: a real API server enforces RBAC on a ServiceAccount's bound token, kwok's stages end pods
// with the exit code their annotation asks for, fail image pulls and play the Spark Operator
// (SUBMITTED → RUNNING → COMPLETED/FAILED with a driver pod the application owns), the real
// scheduler leaves a pod no node can take Pending, and the server validates a manifest in a
// server-side dry run. Without the binaries (scripts/setup builds them) the file says it was
// skipped and why.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeCluster, k8sUnavailable, k8sVersions } from '../harness/k8s-cluster.ts';
import { waitFor } from '../harness/wait-for.ts';

type Condition = { type: string; status: string; reason?: string; message?: string };
type ContainerState = { terminated?: { exitCode: number; reason?: string }; waiting?: { reason?: string; message?: string } };
type Pod = {
  metadata: { name: string; uid: string; ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: Array<{ state: ContainerState }> };
};
type SparkApplication = {
  metadata: { name: string; uid: string };
  status?: { applicationState?: { state: string; errorMessage?: string }; driverInfo?: { podName?: string }; sparkApplicationId?: string };
};

const NS = 'analytics';

function pod(name: string, annotations: Record<string, string> = {}, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'registry.example/sluice-spark:4.0' }], ...spec },
  };
}

function sparkApplication(name: string, annotations: Record<string, string> = {}, sparkConf: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'sparkoperator.k8s.io/v1beta2',
    kind: 'SparkApplication',
    metadata: { name, annotations, labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.io/job': name } },
    spec: {
      type: 'Python',
      mode: 'cluster',
      sparkVersion: '4.0.0',
      image: 'registry.example/sluice-spark:4.0',
      mainApplicationFile: 'local:///opt/sluice/aggregate.py',
      sparkConf,
      driver: { cores: 1, memory: '2g', serviceAccount: 'spark', labels: { 'sluice.io/job': name } },
      executor: { instances: 2, cores: 2, memory: '8g' },
      restartPolicy: { type: 'Never' },
    },
  };
}

const unavailable = k8sUnavailable();

if (unavailable) {
  console.warn(`Kubernetes test cluster tests skipped: ${unavailable}`);
  describe('Kubernetes test cluster', () => {
    it.skip('starts a real control plane with kwok (run scripts/setup to build it)', () => undefined);
  });
} else {
  describe('Kubernetes test cluster', () => {
    let cluster: KubeCluster;

    beforeAll(async () => {
      const started = Date.now();
      cluster = await KubeCluster.start();
      const memory = await cluster.memoryMB();
      console.log(`Kubernetes test cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s, ${memory.total} MB resident ${JSON.stringify(memory)}`);
      await cluster.createNamespace(NS);
      await cluster.createServiceAccount(NS, 'spark');
    }, 90_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    const getPod = async (name: string): Promise<Pod> => (await cluster.request<Pod>('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).body;
    const getApp = async (name: string): Promise<SparkApplication> =>
      (await cluster.request<SparkApplication>('GET', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications/${name}`)).body;

    it('runs the pinned versions: the API server reports its release, kubectl and helm theirs', async () => {
      const pins = k8sVersions();
      expect((await cluster.request<{ gitVersion: string }>('GET', '/version')).body.gitVersion).toBe(pins.KUBERNETES_VERSION);
      const kubectl = await cluster.kubectl(['version', '-o', 'json']);
      expect(JSON.parse(kubectl.stdout)).toMatchObject({ clientVersion: { gitVersion: pins.KUBERNETES_VERSION }, serverVersion: { gitVersion: pins.KUBERNETES_VERSION } });
      const helm = await cluster.helm(['version', '--template', '{{ .Version }}']);
      expect(helm.stdout).toBe(pins.HELM_VERSION);
    });

    it('gives a ServiceAccount a bound token that RBAC forbids until a RoleBinding allows it', async () => {
      await cluster.createServiceAccount(NS, 'sluice');
      const token = await cluster.tokenFor(NS, 'sluice');
      const list = `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications`;

      const forbidden = await cluster.request('GET', list, undefined, { token, allowError: true });
      expect(forbidden.status).toBe(403);
      expect(forbidden.text).toContain('system:serviceaccount:analytics:sluice');

      await cluster.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'sluice-test' },
        rules: [{ apiGroups: ['sparkoperator.k8s.io'], resources: ['sparkapplications'], verbs: ['get', 'list', 'watch'] }],
      });
      await cluster.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'sluice-test' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sluice-test' },
        subjects: [{ kind: 'ServiceAccount', name: 'sluice', namespace: NS }],
      });
      // RBAC takes effect as soon as the API server's informer has the binding: moments.
      const allowed = await waitFor('the RoleBinding to take effect', async () => {
        const response = await cluster.request('GET', list, undefined, { token, allowError: true });
        return response.status === 403 ? undefined : response;
      }, 10_000, 100);
      expect(allowed.status).toBe(200);
      // Only what the Role grants: not another namespace, not another verb.
      expect((await cluster.request('GET', '/apis/sparkoperator.k8s.io/v1beta2/namespaces/default/sparkapplications', undefined, { token, allowError: true })).status).toBe(403);
      expect((await cluster.request('POST', list, sparkApplication('not-allowed'), { token, allowError: true })).status).toBe(403);
    });

    it('ends a pod annotated with exit code 0 Succeeded and one with 137 Failed, OOMKilled, in seconds', async () => {
      const started = Date.now();
      await cluster.request('POST', `/api/v1/namespaces/${NS}/pods`, pod('exits-0', { 'sim.sluice.io/exit-code': '0' }));
      await cluster.request('POST', `/api/v1/namespaces/${NS}/pods`, pod('exits-137', { 'sim.sluice.io/exit-code': '137' }));

      const done = (name: string) => waitFor(`pod ${name} to end`, async () => {
        const current = await getPod(name);
        return current.status?.phase === 'Succeeded' || current.status?.phase === 'Failed' ? current : undefined;
      }, 20_000, 100);
      const [ok, oom] = await Promise.all([done('exits-0'), done('exits-137')]);
      const seconds = (Date.now() - started) / 1000;

      expect(ok.spec.nodeName).toMatch(/^kwok-node-/); // bound by the real scheduler
      expect(ok.status?.phase).toBe('Succeeded');
      expect(ok.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(oom.status?.phase).toBe('Failed');
      expect(oom.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
      expect(seconds).toBeLessThan(10);
    });

    it("leaves a pod no node can take Pending with the scheduler's reason, and one whose image cannot be pulled in ImagePullBackOff", async () => {
      await cluster.request('POST', `/api/v1/namespaces/${NS}/pods`, pod('no-node', {}, { nodeSelector: { pool: 'gpu' } }));
      await cluster.request('POST', `/api/v1/namespaces/${NS}/pods`, pod('bad-image', {}, {
        containers: [{ name: 'main', image: 'sluice.invalid/sluice-spark:4.0' }],
      }));

      const unschedulable = await waitFor('the scheduler to give up on pod no-node', async () => {
        const condition = (await getPod('no-node')).status?.conditions?.find((c) => c.type === 'PodScheduled');
        return condition?.status === 'False' ? condition : undefined;
      }, 20_000, 100);
      expect(unschedulable.reason).toBe('Unschedulable');
      expect(unschedulable.message).toContain("didn't match Pod's node affinity/selector");

      const waiting = await waitFor('pod bad-image to back off', async () => {
        const state = (await getPod('bad-image')).status?.containerStatuses?.[0]?.state.waiting;
        return state?.reason === 'ImagePullBackOff' ? state : undefined;
      }, 20_000, 100);
      expect(waiting.message).toContain('sluice.invalid/sluice-spark:4.0');
      expect((await getPod('bad-image')).status?.phase).toBe('Pending');
    });

    it('walks a SparkApplication SUBMITTED → RUNNING → COMPLETED through its driver pod', async () => {
      await cluster.request('POST', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications`,
        sparkApplication('meter-daily-1', { 'sim.sluice.io/running-for': '2s' }));

      const seen: string[] = [];
      const final = await waitFor('meter-daily-1 to end', async () => {
        const app = await getApp('meter-daily-1');
        const state = app.status?.applicationState?.state;
        if (state && seen.at(-1) !== state) seen.push(state);
        return state === 'COMPLETED' || state === 'FAILED' ? app : undefined;
      }, 30_000, 50);
      expect(seen).toEqual(['SUBMITTED', 'RUNNING', 'COMPLETED']);
      expect(final.status?.sparkApplicationId).toMatch(/^spark-[0-9a-f]{32}$/);

      // The driver pod the "operator" made: owned by the application, ended with it.
      const driver = await getPod(final.status!.driverInfo!.podName!);
      expect(driver.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'SparkApplication', name: 'meter-daily-1', uid: final.metadata.uid, controller: true })]);
      expect(driver.status?.phase).toBe('Succeeded');
    });

    it("fails a SparkApplication whose driver is OOM-killed, steered by Spark conf alone, with the operator's message", async () => {
      await cluster.request('POST', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications`,
        sparkApplication('meter-daily-2', {}, { 'spark.kubernetes.driver.annotation.sim.sluice.io/exit-code': '137' }));
      const app = await waitFor('meter-daily-2 to fail', async () => {
        const current = await getApp('meter-daily-2');
        return current.status?.applicationState?.state === 'FAILED' ? current : undefined;
      }, 30_000, 100);
      expect(app.status?.applicationState?.errorMessage).toBe('driver container failed with ExitCode: 137, Reason: OOMKilled');
      const driver = await getPod('meter-daily-2-driver');
      expect(driver.status?.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    });

    it('deletes the driver pod with its SparkApplication in a foreground deletion', async () => {
      await cluster.request('POST', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications`,
        sparkApplication('meter-daily-3', { 'sim.sluice.io/running-for': '24h' }));
      await waitFor('meter-daily-3 to run', async () => ((await getApp('meter-daily-3')).status?.applicationState?.state === 'RUNNING' ? true : undefined), 30_000, 100);

      const started = Date.now();
      await cluster.request('DELETE', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications/meter-daily-3`,
        { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
      await waitFor('meter-daily-3 and its driver to be gone', async () => {
        const app = await cluster.request('GET', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications/meter-daily-3`, undefined, { allowError: true });
        const driver = await cluster.request('GET', `/api/v1/namespaces/${NS}/pods/meter-daily-3-driver`, undefined, { allowError: true });
        return app.status === 404 && driver.status === 404 ? true : undefined;
      }, 20_000, 100);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('validates a manifest with kubectl apply --server-side --dry-run=server, and refuses a bad one', async () => {
      const good = JSON.stringify(sparkApplication('dry-run'));
      const applied = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-n', NS, '-f', '-'], { input: good });
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('sparkapplication.sparkoperator.k8s.io/dry-run serverside-applied (server dry run)');
      expect((await cluster.request('GET', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${NS}/sparkapplications/dry-run`, undefined, { allowError: true })).status).toBe(404);

      // The CRD's schema at work: a negative executor count, and a misspelt field.
      const negative = sparkApplication('dry-run-bad') as { spec: { executor: Record<string, unknown> } };
      negative.spec.executor.instances = -1;
      const refused = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-n', NS, '-f', '-'], { input: JSON.stringify(negative) });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('spec.executor.instances: Invalid value: -1');
      const misspelt = sparkApplication('dry-run-bad') as { spec: { executor: Record<string, unknown> } };
      misspelt.spec.executor.memroy = '8g';
      const unknown = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-n', NS, '-f', '-'], { input: JSON.stringify(misspelt) });
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('.spec.executor.memroy: field not declared in schema');
    });

    it('restarts the API server on the same port and etcd; the components reconnect and a pod still runs to its end', async () => {
      const before = (await cluster.request<{ metadata: { uid: string } }>('GET', `/api/v1/namespaces/${NS}`)).body.metadata.uid;
      await cluster.restartApiServer();
      expect((await cluster.request<{ metadata: { uid: string } }>('GET', `/api/v1/namespaces/${NS}`)).body.metadata.uid).toBe(before);

      // The scheduler and kwok come back by their own watch backoff, within seconds.
      await cluster.request('POST', `/api/v1/namespaces/${NS}/pods`, pod('after-restart'));
      const done = await waitFor('pod after-restart to end', async () => {
        const current = await getPod('after-restart');
        return current.status?.phase === 'Succeeded' ? current : undefined;
      }, 30_000, 200);
      expect(done.spec.nodeName).toMatch(/^kwok-node-/);
    });

    it('stops every process by pid and removes its folder', async () => {
      const pids = Object.values(cluster.pids).filter((pid): pid is number => pid !== undefined);
      expect(pids).toHaveLength(5);
      await cluster.stop();
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
      expect(existsSync(cluster.dir)).toBe(false);
    });
  });
}
