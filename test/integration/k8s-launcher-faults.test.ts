// Whole jobs through each Kubernetes launcher (k8s-operator: a SparkApplication; k8s-native:
// the driver pod itself) against a real API server (kwok playing the Spark Operator and the
// kubelets), one test per fault line of issue 10. Sluice runs as its
// own ServiceAccount bound to the chart's broker Role; its lake is a file:// folder where the
// test commits a run's manifest as the app would.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../broker/core/errors.ts';
import { isFinal, type Job } from '../../broker/core/job.ts';
import type { Pipeline } from '../../broker/core/pipeline.ts';
import { manifestKey } from '../../broker/lake/manifests.ts';
import { archiveKey, type K8sLauncher } from '../../broker/launchers/k8s/k8s-launcher.ts';
import { createNativeLauncher, createOperatorLauncher } from '../../broker/launchers/k8s/launchers.ts';
import { runName } from '../../broker/launchers/k8s/names.ts';
import { pipelineRegistry } from '../../broker/pipelines/load-pipelines.ts';
import { startSluice, type RunningSluice } from '../../broker/sluice.ts';
import { KubeCluster, k8sUnavailable } from '../harness/k8s-cluster.ts';
import { driverAnnotations, ISSUE_BROKER_RULES, k8sPipeline, startK8sLauncherFixture, type K8sLauncherFixture } from '../harness/k8s-launcher-fixture.ts';
import { sampleManifest } from '../harness/sample-manifest.ts';
import { createSluiceEnv, type SluiceEnv } from '../harness/sluice-env.ts';
import { waitFor } from '../harness/wait-for.ts';

const unavailable = k8sUnavailable();
const INPUT = 's3://landing/in/part-0.parquet';

type Main = { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string; applicationState?: { state?: string }; sparkApplicationId?: string } };

/** How a test sees each launcher's main object: its collection, and its state in the operator's words. */
const KINDS = {
  'k8s-operator': {
    short: 'op',
    collection: (ns: string) => `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${ns}/sparkapplications`,
    selector: '',
    state: (main: Main) => main.status?.applicationState?.state,
    driverPod: (name: string) => `${name}-driver`,
  },
  'k8s-native': {
    short: 'nat',
    collection: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
    selector: ',spark-role=driver',
    state: (main: Main) => ({ Running: 'RUNNING', Succeeded: 'COMPLETED', Failed: 'FAILED' } as Record<string, string>)[main.status?.phase ?? ''],
    driverPod: (name: string) => name,
  },
} as const;

if (unavailable) {
  console.warn(`k8s-operator fault tests skipped: ${unavailable}`);
  describe('k8s-operator faults', () => {
    it.skip('needs the Kubernetes test binaries (run scripts/setup)', () => undefined);
  });
} else {
  let cluster: KubeCluster;
  beforeAll(async () => {
    cluster = await KubeCluster.start();
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  for (const launcherName of ['k8s-operator', 'k8s-native'] as const) describe(`${launcherName} faults (whole jobs)`, () => {
    const kind = KINDS[launcherName];
    const NS = `faults-${kind.short}`;
    const APPS = kind.collection(NS);
    let fixture: K8sLauncherFixture;
    let env: SluiceEnv;
    let sluice: RunningSluice | undefined;

    beforeAll(async () => {
      fixture = await startK8sLauncherFixture(cluster, NS);
      env = await createSluiceEnv({
        SLUICE_K8S_KUBECONFIG: fixture.kubeconfig,
        SLUICE_K8S_NAMESPACE: NS,
        SLUICE_K8S_SPARK_IMAGE: 'registry.example/sluice-spark:4.0',
        SLUICE_K8S_DRIVER_LOGS: 'off',
        SLUICE_K8S_UI_URL: 'https://spark.example/{namespace}/{name}/',
        SLUICE_K8S_HISTORY_URL: 'https://history.example/history/{appId}/',
        SLUICE_S3_LANDING_ROOTS: 's3://landing/',
        SLUICE_AWAIT_POLL: '1s',
      });
    }, 90_000);
    afterEach(async () => {
      await sluice?.close();
      sluice = undefined;
    });
    afterAll(async () => {
      await env?.close();
      await fixture?.close();
    });

    const start = async (pipelines: Pipeline[], settings: Record<string, string> = {}, roles = { api: false, worker: true }): Promise<RunningSluice> => {
      sluice = await startSluice(env.config(settings), roles, { pipelines: pipelineRegistry(pipelines) });
      return sluice;
    };
    const submit = async (running: RunningSluice, pipeline: Pipeline, inputs = [INPUT]): Promise<string> =>
      (await running.jobs.submit({ pipeline: pipeline.name, parameters: {}, inputs, labels: {} })).job.id;
    const finished = (running: RunningSluice, id: string, timeoutMs = 45_000): Promise<Job> =>
      waitFor(`job ${id} to finish`, async () => {
        const job = await running.jobs.get(id);
        return isFinal(job.state) ? job : undefined;
      }, timeoutMs, 100);
    const getApp = async (name: string): Promise<Main | undefined> => {
      const response = await cluster.request<Main>('GET', `${APPS}/${name}`, undefined, { allowError: true });
      return response.status === 200 ? response.body : undefined;
    };
    const appsOf = async (jobId: string): Promise<string[]> =>
      (await cluster.request<{ items: Main[] }>('GET', `${APPS}?labelSelector=sluice.io/job=${jobId}${kind.selector}`)).body.items.map((app) => app.metadata.name).sort();
    const waitForState = (name: string, state: string): Promise<Main> =>
      waitFor(`${name} to be ${state}`, async () => {
        const app = await getApp(name);
        return app && kind.state(app) === state ? app : undefined;
      }, 30_000, 100);
    /** What the app does as it ends well: its manifest, in the lake Sluice reads. */
    const commit = async (pipeline: Pipeline, jobId: string, attempt: number): Promise<void> => {
      const table = pipeline.outputs.lake.table;
      const path = join(env.lakeDir, manifestKey(table, jobId, attempt));
      await mkdir(dirname(path), { recursive: true });
      const manifest = { ...sampleManifest(jobId, attempt, `file://${env.lakeDir}`), pipeline: pipeline.name, table, run_uri: `file://${env.lakeDir}/${table}/run=${jobId}-${attempt}` };
      await writeFile(path, JSON.stringify(manifest));
    };

    it("runs as its own ServiceAccount bound to the chart's broker Role, whose rules are the issue's and no more", async () => {
      expect(fixture.roleSource).toMatch(/helm template/);
      const token = await cluster.tokenFor(NS, 'sluice');
      type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[] };
      const review = await cluster.request<{ status: { resourceRules: Rule[] } }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
        apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: NS },
      }, { token });
      // Every identity may review itself (system:basic-user): those rules are not the Role's.
      const granted = review.body.status.resourceRules.filter((rule) => !(rule.apiGroups ?? []).some((group) => group.endsWith('.authorization.k8s.io') || group === 'authorization.k8s.io' || group === 'authentication.k8s.io'));
      const flat = (rules: Rule[]) => rules.flatMap((rule) => (rule.apiGroups ?? ['']).flatMap((group) => (rule.resources ?? []).flatMap((resource) => rule.verbs.map((verb) => `${group}/${resource}:${verb}`)))).sort();
      expect(flat(granted)).toEqual(flat(ISSUE_BROKER_RULES));
    });

    it('runs a job to success; its end wakes the job at once (not at the next poll), and the job shows the application, its Spark state and links', async () => {
      const pipeline = k8sPipeline(`ok-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ exitCode: 0, runningFor: '5s' }) } });
      const running = await start([pipeline], { SLUICE_AWAIT_POLL: '60s' });
      const id = await submit(running, pipeline);
      const live = await waitForState(runName(id, 1), 'RUNNING');
      const uiUrl = `https://spark.example/${NS}/${runName(id, 1)}/`;
      // The poll is 60 s here (so that the end's wake is what is measured): the job's next poll
      // is brought forward, as it would come, until it recorded the state the cluster shows.
      const whileRunning = await waitFor(`job ${id} to show its run RUNNING`, async () => {
        await running.queue.wake(id);
        const job = await running.jobs.get(id);
        return job.run?.sparkState === 'RUNNING' ? job : undefined;
      }, 4_000, 100);
      expect(whileRunning.state).toBe('running');
      expect(whileRunning.run).toMatchObject({ sparkState: 'RUNNING', uiUrl });
      await commit(pipeline, id, 1);
      const ended = await waitForState(runName(id, 1), 'COMPLETED');
      expect(ended).toBeDefined();
      const completedAt = Date.now();
      const job = await finished(running, id, 30_000);
      expect(Date.now() - completedAt).toBeLessThan(10_000);
      expect(job.state).toBe('succeeded');
      expect(job.run).toMatchObject({ launcher: launcherName, runId: `${NS}/${runName(id, 1)}`, uiUrl, sparkState: 'COMPLETED' });
      if (launcherName === 'k8s-operator') {
        // The operator gave the application its id after the create: the history link is filled from it.
        const appId = ended.status?.sparkApplicationId ?? live.status?.sparkApplicationId;
        expect(appId).toMatch(/^spark-/);
        expect(job.run?.historyUrl).toBe(`https://history.example/history/${appId}/`);
      } else {
        // A driver pod made by Sluice has no Spark application id Sluice knows: no link from an {appId} template.
        expect(job.run?.historyUrl).toBeUndefined();
      }
      expect(await appsOf(id)).toEqual([runName(id, 1)]);
    }, 60_000);

    it('a worker without SLUICE_K8S_KUBECONFIG fails such a job at once with a user error naming the launcher', async () => {
      const pipeline = k8sPipeline(`no-k8s-${kind.short}`, { launcher: launcherName });
      const running = await start([pipeline], { SLUICE_K8S_KUBECONFIG: '' });
      const id = await submit(running, pipeline);
      const job = await finished(running, id);
      expect(job.state).toBe('failed');
      expect(job.failure).toMatchObject({ class: 'user', attempt: 1 });
      expect(job.failure!.message).toContain(`asks for launcher "${launcherName}" (engine.launcher), which this worker does not have`);
    }, 60_000);

    it('refuses at submit a landing path that no volume maps, naming the pipeline and the path; nothing is created', async () => {
      const pipeline = k8sPipeline(`no-volume-${kind.short}`, { launcher: launcherName }, { max_attempts: 1 });
      const running = await start([pipeline]);
      const path = join(env.landing, 'harp', 'a.parquet');
      const refused = await submit(running, pipeline, [path]).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(UserError);
      expect((refused as UserError).status).toBe(422);
      expect((refused as Error).message).toContain(`pipeline "no-volume-${kind.short}"`);
      expect((refused as Error).message).toContain(path);
      expect((await running.jobs.list({ pipeline: pipeline.name, limit: 10 })).items).toEqual([]);
    }, 60_000);

    it('a worker killed after create, before the job recorded it: the restarted step adopts, one SparkApplication', async () => {
      const pipeline = k8sPipeline(`adopt-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ exitCode: 0, runningFor: '2s' }) } });
      // Submitted with no worker: the job waits in the queue.
      const api = await start([pipeline], {}, { api: false, worker: false });
      const id = await submit(api, pipeline);
      const queued = await api.jobs.get(id);
      await api.close();
      sluice = undefined;
      // What the dead worker left: the application, made for this job's first attempt, and no record of it.
      const spec = { version: 1 as const, job_id: id, attempt: 1, pipeline: pipeline.name, inputs: [INPUT], expected_columns: {}, transform: pipeline.transform, parameters: {}, output: { table: pipeline.outputs.lake.table, run_uri: 'file:///x' } };
      const orphanMaker = (launcherName === 'k8s-operator' ? createOperatorLauncher : createNativeLauncher)(fixture.settings, fixture.lake);
      await orphanMaker.launch({ jobId: id, attempt: 1, pipeline, spec });
      await orphanMaker.close();
      expect(queued.state).toBe('queued');
      await commit(pipeline, id, 1);

      const running = await start([pipeline]);
      const job = await finished(running, id);
      expect(job.state).toBe('succeeded');
      expect(job.attempt).toBe(1);
      expect(await appsOf(id)).toEqual([runName(id, 1)]);
    }, 60_000);

    it('a driver OOM-killed (137) fails its attempt saying so, and is retried as a new attempt (a new application)', async () => {
      const pipeline = k8sPipeline(`oom-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ exitCode: 137, runningFor: '1s' }) } }, { max_attempts: 2 });
      const running = await start([pipeline]);
      const id = await submit(running, pipeline);
      const job = await finished(running, id);
      expect(job.state).toBe('failed');
      expect(job.attempt).toBe(2);
      expect(job.failure).toMatchObject({ class: 'platform', attempt: 2 });
      expect(job.failure!.message).toMatch(/OOM-killed/);
      // The first attempt's failure, in the retry's history entry.
      const retry = job.history.find((change) => change.state === 'queued' && /retry 2 of 2/.test(change.reason ?? ''));
      expect(retry?.reason ?? JSON.stringify(job.history)).toMatch(/platform failure, retry 2 of 2 .*OOM-killed/);
      expect(await appsOf(id)).toEqual([runName(id, 1), runName(id, 2)].sort());
    }, 60_000);

    for (const [fault, engine, words] of [
      ['stuck in ImagePullBackOff', { image: 'sluice.invalid/sluice-spark:4.0' }, /image pull failed \((ErrImagePull|ImagePullBackOff)\)/],
      ['Pending unschedulable', { pod_template: { node_selector: { pool: 'gpu' } } }, /unschedulable: 0\/2 nodes are available.*node affinity\/selector/],
    ] as const) {
      it(`a driver ${fault} fails the job by timeouts.launching with that reason, and the application is deleted`, async () => {
        const pipeline = k8sPipeline(`stuck-${fault.length}-${kind.short}`, { launcher: launcherName, ...engine }, { max_attempts: 1, timeouts: { launching: '4s' } });
        const running = await start([pipeline]);
        const id = await submit(running, pipeline);
        const job = await finished(running, id);
        expect(job.state).toBe('failed');
        expect(job.failure).toMatchObject({ class: 'timeout' });
        expect(job.failure!.message).toMatch(words);
        expect(job.failure!.message).toContain('timeouts.launching');
        await waitFor('the application to be gone', async () => ((await appsOf(id)).length === 0 ? true : undefined), 15_000, 100);
      }, 60_000);
    }

    it('its main object deleted by someone else fails the job (platform) with a clear reason, not hung', async () => {
      const pipeline = k8sPipeline(`deleted-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ runningFor: '24h' }) } }, { max_attempts: 1 });
      const running = await start([pipeline]);
      const id = await submit(running, pipeline);
      await waitForState(runName(id, 1), 'RUNNING');
      await cluster.request('DELETE', `${APPS}/${runName(id, 1)}`);
      const job = await finished(running, id);
      expect(job.state).toBe('failed');
      expect(job.failure).toMatchObject({ class: 'platform' });
      expect(job.failure!.message).toMatch(/deleted by someone else/);
    }, 60_000);

    it('cancel during RUNNING: the application is gone and the job cancelled', async () => {
      const pipeline = k8sPipeline(`cancel-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ runningFor: '24h' }) } });
      const running = await start([pipeline]);
      const id = await submit(running, pipeline);
      await waitForState(runName(id, 1), 'RUNNING');
      await running.jobs.cancel(id);
      const job = await finished(running, id);
      expect(job.state).toBe('cancelled');
      expect(await getApp(runName(id, 1))).toBeUndefined();
      expect((await cluster.request('GET', `/api/v1/namespaces/${NS}/pods/${kind.driverPod(runName(id, 1))}`, undefined, { allowError: true })).status).toBe(404);
    }, 60_000);

    it('delivers the run spec in a ConfigMap owned by the run (k8s-native: and its headless Service); deleting the run removes them', async () => {
      const pipeline = k8sPipeline(`owned-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ runningFor: '24h' }) } });
      const running = await start([pipeline]);
      const id = await submit(running, pipeline);
      const name = runName(id, 1);
      const main = await waitForState(name, 'RUNNING') as Main & { metadata: { uid: string } };
      type Owned = { metadata: { ownerReferences?: Array<{ uid: string; controller?: boolean }> }; data?: Record<string, string>; spec?: { clusterIP?: string } };
      const configMap = (await cluster.request<Owned>('GET', `/api/v1/namespaces/${NS}/configmaps/${name}-spec`)).body;
      expect(JSON.parse(configMap.data!['spec.json']!)).toMatchObject({ job_id: id, attempt: 1, inputs: [INPUT] });
      expect(configMap.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: main.metadata.uid, controller: true })]);
      const owned = [`/api/v1/namespaces/${NS}/configmaps/${name}-spec`];
      if (launcherName === 'k8s-native') {
        const service = (await cluster.request<Owned>('GET', `/api/v1/namespaces/${NS}/services/${name}-svc`)).body;
        expect(service.spec?.clusterIP).toBe('None');
        expect(service.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: main.metadata.uid })]);
        owned.push(`/api/v1/namespaces/${NS}/services/${name}-svc`);
      }
      await running.jobs.cancel(id);
      expect((await finished(running, id)).state).toBe('cancelled');
      await waitFor('the owned objects to be collected', async () => {
        const statuses = await Promise.all(owned.map(async (path) => (await cluster.request('GET', path, undefined, { allowError: true })).status));
        return statuses.every((status) => status === 404) ? true : undefined;
      }, 30_000, 200);
    }, 60_000);

    it('logs outlive the pod: once the run is gone, logs() reads the driver log archived in the lake', async () => {
      const pipeline = k8sPipeline(`logs-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ exitCode: 0, runningFor: '1s' }) } });
      const running = await start([pipeline]);
      const id = await submit(running, pipeline);
      await commit(pipeline, id, 1);
      const job = await finished(running, id);
      expect(job.state).toBe('succeeded');
      const launcher = running.launchers.forHandle(job.run!);
      // This cluster's kubelets are simulated (no pods/log): the archive is written here as the launcher writes it at a run's end.
      const archived = join(env.lakeDir, archiveKey(NS, runName(id, 1)));
      await mkdir(dirname(archived), { recursive: true });
      await writeFile(archived, 'line 1\nline 2\nSLUICE run done\n');
      await launcher.remove!(job.run!);
      await waitFor('the run to be gone', async () => ((await appsOf(id)).length === 0 ? true : undefined), 15_000, 100);
      let text = '';
      for await (const chunk of launcher.logs(job.run!, { tail: 2 })) text += chunk;
      expect(text).toBe('line 2\nSLUICE run done\n');
    }, 60_000);

    it('a run that committed its manifest, its application and pod garbage-collected before Sluice looked: succeeded with that run', async () => {
      const pipeline = k8sPipeline(`gc-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ exitCode: 0, runningFor: '2s' }) } });
      const first = await start([pipeline]);
      const id = await submit(first, pipeline);
      await waitForState(runName(id, 1), 'RUNNING');
      await first.close();
      sluice = undefined;
      // While no worker looks: the run commits and ends, and everything it had is collected.
      await commit(pipeline, id, 1);
      await waitForState(runName(id, 1), 'COMPLETED');
      await cluster.request('DELETE', `${APPS}/${runName(id, 1)}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground' });
      await waitFor('the application to be gone', async () => ((await appsOf(id)).length === 0 ? true : undefined), 15_000, 100);

      const second = await start([pipeline]);
      const job = await finished(second, id);
      expect(job.state).toBe('succeeded');
      expect(job.attempt).toBe(1);
      expect(job.output!.runUri).toContain(`run=${id}-1`);
    }, 60_000);

    it('the API server restarted during a run: the informer resumes and the job still ends (woken, not polled)', async () => {
      const pipeline = k8sPipeline(`restart-${kind.short}`, { launcher: launcherName, pod_template: { annotations: driverAnnotations({ exitCode: 0, runningFor: '8s' }) } });
      const running = await start([pipeline], { SLUICE_AWAIT_POLL: '60s' });
      const id = await submit(running, pipeline);
      await waitForState(runName(id, 1), 'RUNNING');
      const launcher = running.launchers.forPipeline(pipeline) as K8sLauncher<never>;
      const startsBefore = launcher.informerOf(NS)!.starts;
      await commit(pipeline, id, 1);
      await cluster.restartApiServer(1_000);
      const job = await finished(running, id, 45_000);
      expect(job.state).toBe('succeeded');
      expect(launcher.informerOf(NS)!.starts).toBeGreaterThan(startsBefore);
    }, 90_000);
  });
}
