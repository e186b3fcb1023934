// What the Kubernetes launcher tests share on top of KubeCluster: a namespace where Sluice runs
// with the token of its own ServiceAccount bound to the broker's Role (rendered from the chart
// with `helm template`, so the chart's Role is what is proven sufficient; the issue's rules
// when the chart cannot be rendered), a file:// lake, the launcher settings, pipelines that run
// on Kubernetes, and a stand-in for what kwok's stages cannot do: end a driver with a
// termination message.
//
// The stand-in kubelet: kwok ends pods with an exit code but writes no termination message,
// and its pods have no logs. A real kubelet with `terminationMessagePolicy:
// FallbackToLogsOnError` (which the launchers set on the driver) puts the end of a failed
// container's log in `state.terminated.message`; the app's SLUICE_FAILURE line is there. A
// driver annotated `test.sluice.io/exit-code` (through Spark conf, as a pipeline would) runs
// until this stand-in ends it with that code and the message of `test.sluice.io/message`, as
// the kubelet would, and moves its SparkApplication to FAILED with the operator's words.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';
import { openLake } from '../../broker/lake/open-lake.ts';
import type { LakeStorage } from '../../broker/lake/storage.ts';
import { manifestKey } from '../../broker/lake/manifests.ts';
import { DEFAULT_APP_FILE, type K8sSettings } from '../../broker/launchers/k8s/settings.ts';
import type { KubeCluster } from './k8s-cluster.ts';
import { waitFor } from './wait-for.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export const TERMINATE_ANNOTATION = 'test.sluice.io/exit-code';
export const MESSAGE_ANNOTATION = 'test.sluice.io/message';

/** The broker Role's rules as the issue states them: what the chart's Role must equal. */
export const ISSUE_BROKER_RULES = [
  { apiGroups: ['sparkoperator.k8s.io'], resources: ['sparkapplications'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['pods', 'services', 'configmaps'], verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
  { apiGroups: [''], resources: ['events'], verbs: ['list'] },
];

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** The chart's broker Role rules from `helm template`, or the issue's when the chart is absent or does not render. */
export async function brokerRoleRules(cluster: KubeCluster, namespace: string): Promise<{ rules: Rule[]; source: string }> {
  const chart = join(ROOT, 'deploy/helm/sluice');
  const rendered = await cluster.helm(['template', 'sluice', chart, '--namespace', 'sluice', '--set', `rbac.sparkNamespaces={${namespace}}`, '--show-only', 'templates/rbac.yaml']).catch(() => undefined);
  if (rendered?.code === 0) {
    for (const doc of parseAllDocuments(rendered.stdout)) {
      const object = doc.toJS() as { kind?: string; metadata?: { name?: string; namespace?: string }; rules?: Rule[] } | null;
      if (object?.kind === 'Role' && object.metadata?.namespace === namespace && object.rules?.some((rule) => rule.resources.includes('sparkapplications'))) {
        return { rules: object.rules, source: 'helm template deploy/helm/sluice' };
      }
    }
  }
  return { rules: ISSUE_BROKER_RULES, source: 'the issue (the chart did not render a broker Role)' };
}

export type K8sLauncherFixture = {
  namespace: string;
  /** Sluice's kubeconfig: its ServiceAccount's token. */
  kubeconfig: string;
  lake: LakeStorage;
  lakeDir: string;
  settings: K8sSettings;
  roleSource: string;
  /** Writes the run's manifest into the lake, as the app does when it commits. */
  commit(pipeline: Pipeline, jobId: string, attempt: number): Promise<void>;
  close(): Promise<void>;
};

export async function startK8sLauncherFixture(cluster: KubeCluster, namespace: string): Promise<K8sLauncherFixture> {
  await cluster.createNamespace(namespace);
  await cluster.createServiceAccount(namespace, 'spark');
  await cluster.createServiceAccount(namespace, 'sluice');
  const { rules, source } = await brokerRoleRules(cluster, namespace);
  await cluster.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'sluice-launcher' }, rules,
  });
  await cluster.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'sluice-launcher' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sluice-launcher' },
    subjects: [{ kind: 'ServiceAccount', name: 'sluice', namespace }],
  });
  const kubeconfig = await cluster.kubeconfigFor(namespace, 'sluice');
  const token = await cluster.tokenFor(namespace, 'sluice');
  await waitFor('the broker RoleBinding to take effect', async () => {
    const response = await cluster.request('GET', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${namespace}/sparkapplications`, undefined, { token, allowError: true });
    return response.status === 200 ? true : undefined;
  }, 15_000, 100);

  const lakeDir = await mkdtemp(join(tmpdir(), 'sluice-k8s-lake-'));
  const lake = openLake(`file://${lakeDir}`, { region: 'us-east-1', forcePathStyle: true });
  const settings: K8sSettings = {
    kubeconfig,
    namespace,
    image: 'registry.example/sluice-spark:4.0',
    appFile: DEFAULT_APP_FILE,
    sparkVersion: '4.0.1',
    uiUrl: 'https://spark.example/{namespace}/{name}/',
    historyUrl: 'https://history.example/history/{appId}/',
    // kwok's nodes have fake addresses: the API server must never be asked to reach a kubelet.
    driverLogs: false,
    s3: { region: 'us-east-1', forcePathStyle: true },
    s3CredentialsSecret: 'lake-creds',
    resyncMs: 5_000,
    quietMs: 30_000,
  };
  const kubelet = new StandInKubelet(cluster, namespace);
  return {
    namespace,
    kubeconfig,
    lake,
    lakeDir,
    settings,
    roleSource: source,
    async commit(pipeline, jobId, attempt) {
      const path = join(lakeDir, manifestKey(pipeline.outputs.lake.table, jobId, attempt));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify({ table: pipeline.outputs.lake.table, job_id: jobId, attempt }));
    },
    async close() {
      kubelet.stop();
      await rm(lakeDir, { recursive: true, force: true });
    },
  };
}

/** A pipeline on Kubernetes (the stand-in's columns and transform; its engine from `engine`). */
export function k8sPipeline(name: string, engine: Record<string, unknown>, policy: Record<string, unknown> = {}): Pipeline {
  return PipelineSchema.parse({
    name,
    input: { columns: { x: 'long' } },
    parameters: { seconds: { type: 'number', default: 0 } },
    transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
    outputs: { lake: { table: name.replace(/-/g, '_') } },
    engine: { driver: { cores: 1, memory: '512m' }, executor: { instances: 1, cores: 1, memory: '512m' }, ...engine },
    policy: { backoff: { initial: '200ms', max: '500ms', factor: 2 }, ...policy },
  });
}

/**
 * Driver annotations (engine.pod_template.annotations, as a pipeline would set them) that
 * steer the simulated driver: its exit code, how long it runs, or a failure line that the
 * stand-in kubelet ends it with.
 */
export function driverAnnotations(options: { exitCode?: number; runningFor?: string; failWith?: { exitCode: number; line: string } }): Record<string, string> {
  if (options.failWith) {
    return { 'sim.sluice.io/running-for': '24h', [TERMINATE_ANNOTATION]: String(options.failWith.exitCode), [MESSAGE_ANNOTATION]: options.failWith.line };
  }
  return {
    ...(options.exitCode !== undefined ? { 'sim.sluice.io/exit-code': String(options.exitCode) } : {}),
    ...(options.runningFor ? { 'sim.sluice.io/running-for': options.runningFor } : {}),
  };
}

type Pod = {
  metadata: { name: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> };
  spec: { containers: Array<{ name: string; image: string }> };
  status?: { phase?: string };
};

/** Ends annotated drivers with their exit code and termination message, as a kubelet would (see the header). */
class StandInKubelet {
  private readonly timer: NodeJS.Timeout;
  private readonly done = new Set<string>();
  private busy = false;

  constructor(private readonly cluster: KubeCluster, private readonly namespace: string) {
    this.timer = setInterval(() => void this.tick(), 150);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const pods = await this.cluster.request<{ items: Pod[] }>('GET', `/api/v1/namespaces/${this.namespace}/pods`, undefined, { allowError: true });
      for (const pod of pods.body.items ?? []) {
        const code = pod.metadata.annotations?.[TERMINATE_ANNOTATION];
        if (code === undefined || pod.status?.phase !== 'Running' || this.done.has(pod.metadata.name)) continue;
        this.done.add(pod.metadata.name);
        await this.terminate(pod, Number(code), pod.metadata.annotations?.[MESSAGE_ANNOTATION] ?? '');
      }
    } catch {
      // the API server may be restarting under a test: the next tick tries again
    } finally {
      this.busy = false;
    }
  }

  private async terminate(pod: Pod, exitCode: number, message: string): Promise<void> {
    const now = new Date().toISOString();
    const reason = exitCode === 137 ? 'OOMKilled' : 'Error';
    await this.cluster.request('PATCH', `/api/v1/namespaces/${this.namespace}/pods/${pod.metadata.name}/status`, {
      status: {
        phase: 'Failed',
        containerStatuses: pod.spec.containers.map((container) => ({
          name: container.name, image: container.image, imageID: '', ready: false, restartCount: 0, started: false,
          state: { terminated: { exitCode, reason, message, startedAt: now, finishedAt: now } },
        })),
      },
    }, { contentType: 'application/merge-patch+json' });
    const app = pod.metadata.ownerReferences?.find((owner) => owner.kind === 'SparkApplication')?.name;
    if (app) {
      await this.cluster.request('PATCH', `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${this.namespace}/sparkapplications/${app}/status`, {
        status: { terminationTime: now, applicationState: { state: 'FAILED', errorMessage: `driver container failed with ExitCode: ${exitCode}, Reason: ${reason}` } },
      }, { contentType: 'application/merge-patch+json', allowError: true });
    }
  }
}
