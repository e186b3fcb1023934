// The shared launcher's reading of a run (status, logs) over a stand-in API: what pods/log
// gives where kubelets are reachable (the simulated test cluster has none to reach), and the
// lake's archive once the pod is gone. Launch, adoption, cancel and the informer are proven
// against the real API server in test/integration/k8s-*.test.ts.
import { describe, expect, it } from 'vitest';
import type { LakeStorage } from '../../lake/storage.ts';
import { archiveKey, K8sLauncher, RUN_ANNOTATIONS } from './k8s-launcher.ts';
import type { KubeApi, V1Pod } from './kube-api.ts';
import { nativeKind } from './native-kind.ts';
import { operatorKind } from './operator-kind.ts';
import { DEFAULT_APP_FILE, type K8sSettings } from './settings.ts';
import type { SparkApplication } from './spark-application.ts';

const settings = (driverLogs: boolean): K8sSettings => ({
  kubeconfig: 'unused', namespace: 'ns', appFile: DEFAULT_APP_FILE, sparkVersion: '4.0.1', driverLogs, resyncMs: 60_000, quietMs: 60_000,
});

function memoryLake(files: Record<string, string> = {}): LakeStorage {
  return {
    rootUri: 'memory://',
    uri: (key) => `memory://${key}`,
    read: async (key) => (key in files ? Buffer.from(files[key]!) : undefined),
    readRange: async () => Buffer.alloc(0),
    write: async (key, body) => {
      files[key] = body.toString();
    },
    list: async () => [],
    delete: async () => undefined,
  };
}

const app: SparkApplication = {
  apiVersion: 'sparkoperator.k8s.io/v1beta2',
  kind: 'SparkApplication',
  metadata: { name: 'sluice-j-1', namespace: 'ns', uid: 'u1', annotations: { [RUN_ANNOTATIONS.manifest]: 't/run=j-1/_manifest.json' } },
  status: { applicationState: { state: 'FAILED' }, driverInfo: { podName: 'sluice-j-1-driver' } },
};
const failedPod = (message?: string): V1Pod => ({
  status: { phase: 'Failed', containerStatuses: [{ name: 'spark-kubernetes-driver', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 64, reason: 'Error', ...(message ? { message } : {}) } } }] },
});

function stubApi(pod: V1Pod, log: { text: string; follow: string[] }): KubeApi {
  return {
    getApplication: async () => app,
    getPod: async () => pod,
    podLog: async (_ns: string, _name: string, _container: string, tail?: number) => (tail === undefined ? log.text : log.text.split('\n').slice(-tail - 1).join('\n')),
    followPodLog: async (_ns: string, _name: string, _container: string, onChunk: (text: string) => void) => {
      for (const chunk of log.follow) onChunk(chunk);
    },
  } as unknown as KubeApi;
}

const handle = { launcher: 'k8s-operator', runId: 'ns/sluice-j-1', attempt: 1, startedAt: '' };
const collect = async (iterable: AsyncIterable<string>): Promise<string> => {
  let text = '';
  for await (const chunk of iterable) text += chunk;
  return text;
};

describe('k8s launcher: status and logs', () => {
  it('reads the failure line from the driver log where pods/log can be read', async () => {
    const log = { text: 'INFO start\nSLUICE_FAILURE {"message":"bad sql"}\nINFO shutdown hook\n', follow: [] };
    const launcher = new K8sLauncher(operatorKind, { settings: settings(true), api: stubApi(failedPod(), log), lake: memoryLake() });
    expect(await launcher.status(handle)).toMatchObject({ phase: 'failed', failureClass: 'user', message: 'bad sql' });
  });

  it('reads it from the termination message where no log can be read', async () => {
    const launcher = new K8sLauncher(operatorKind, { settings: settings(false), api: stubApi(failedPod('SLUICE_FAILURE {"message":"from the kubelet"}'), { text: '', follow: [] }), lake: memoryLake() });
    expect(await launcher.status(handle)).toMatchObject({ phase: 'failed', failureClass: 'user', message: 'from the kubelet' });
  });

  it('tails and follows the driver log through pods/log', async () => {
    const log = { text: 'a\nb\nc\n', follow: ['d\n', 'e\n'] };
    const launcher = new K8sLauncher(operatorKind, { settings: settings(true), api: stubApi(failedPod(), log), lake: memoryLake() });
    expect(await collect(launcher.logs(handle, { tail: 2 }))).toBe('b\nc\n');
    expect(await collect(launcher.logs(handle, { follow: true }))).toBe('a\nb\nc\nd\ne\n');
  });

  it('reads the archive in the lake first: logs outlive the pod', async () => {
    const lake = memoryLake({ [archiveKey('ns', 'sluice-j-1')]: 'one\ntwo\nthree\n' });
    const launcher = new K8sLauncher(operatorKind, { settings: settings(true), api: stubApi(failedPod(), { text: 'never read', follow: [] }), lake });
    expect(await collect(launcher.logs(handle, { tail: 1 }))).toBe('three\n');
  });
});

describe('k8s launcher: the run as status() sees it', () => {
  const links = { ...settings(false), uiUrl: 'https://spark.example/{namespace}/{name}/', historyUrl: 'https://history.example/history/{appId}/' };
  const runningPod = (name: string, phase = 'Running'): V1Pod => ({
    metadata: { name, namespace: 'ns', uid: 'p1' },
    status: { phase, containerStatuses: [{ name: 'spark-kubernetes-driver', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] },
  });
  const application = (status: SparkApplication['status']): SparkApplication => ({ ...app, status });
  const api = (main: { application?: SparkApplication; pod: V1Pod }): KubeApi =>
    ({ getApplication: async () => main.application, getPod: async () => main.pod }) as unknown as KubeApi;

  it('k8s-operator: the application\'s state, the UI link, and the history link once the operator gave the application id', async () => {
    const running = application({ applicationState: { state: 'RUNNING' }, sparkApplicationId: 'spark-0001', driverInfo: { podName: 'sluice-j-1-driver' } });
    const launcher = new K8sLauncher(operatorKind, { settings: links, api: api({ application: running, pod: runningPod('sluice-j-1-driver') }), lake: memoryLake() });
    expect(await launcher.status(handle)).toEqual({
      phase: 'running',
      run: { sparkState: 'RUNNING', uiUrl: 'https://spark.example/ns/sluice-j-1/', historyUrl: 'https://history.example/history/spark-0001/' },
    });
  });

  it('k8s-operator: before the application id is known, no history link (its template needs {appId})', async () => {
    const submitted = application({ applicationState: { state: 'SUBMITTED' }, driverInfo: { podName: 'sluice-j-1-driver' } });
    const launcher = new K8sLauncher(operatorKind, { settings: links, api: api({ application: submitted, pod: runningPod('sluice-j-1-driver', 'Pending') }), lake: memoryLake() });
    expect(await launcher.status(handle)).toEqual({ phase: 'pending', run: { sparkState: 'SUBMITTED', uiUrl: 'https://spark.example/ns/sluice-j-1/' } });
  });

  it('k8s-native: the driver pod\'s phase in the operator\'s words; no application id, so only a history template without {appId} is filled', async () => {
    const nativeHandle = { ...handle, launcher: 'k8s-native' };
    const pod = runningPod('sluice-j-1');
    const byAppId = new K8sLauncher(nativeKind, { settings: links, api: api({ pod }), lake: memoryLake() });
    expect(await byAppId.status(nativeHandle)).toEqual({ phase: 'running', run: { sparkState: 'RUNNING', uiUrl: 'https://spark.example/ns/sluice-j-1/' } });
    const byName = new K8sLauncher(nativeKind, { settings: { ...links, historyUrl: 'https://history.example/{namespace}/{name}/' }, api: api({ pod: runningPod('sluice-j-1', 'Pending') }), lake: memoryLake() });
    expect(await byName.status(nativeHandle)).toMatchObject({ phase: 'pending', run: { sparkState: 'SUBMITTED', historyUrl: 'https://history.example/ns/sluice-j-1/' } });
  });

  it('k8s-operator: a driver that exited ends the run before the operator says so; the state is the end it will write', async () => {
    const stillRunning = application({ applicationState: { state: 'RUNNING' }, sparkApplicationId: 'spark-0001', driverInfo: { podName: 'sluice-j-1-driver' } });
    const exited: V1Pod = { status: { phase: 'Succeeded', containerStatuses: [{ name: 'spark-kubernetes-driver', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0 } } }] } };
    const lake = memoryLake({ 't/run=j-1/_manifest.json': '{}' });
    const launcher = new K8sLauncher(operatorKind, { settings: links, api: api({ application: stillRunning, pod: exited }), lake });
    expect(await launcher.status(handle)).toEqual({ phase: 'succeeded', run: { sparkState: 'COMPLETED', uiUrl: 'https://spark.example/ns/sluice-j-1/', historyUrl: 'https://history.example/history/spark-0001/' } });
  });

  it('an ended run shows its final state beside its outcome', async () => {
    const failed = application({ applicationState: { state: 'FAILED' }, sparkApplicationId: 'spark-0001', driverInfo: { podName: 'sluice-j-1-driver' } });
    const launcher = new K8sLauncher(operatorKind, { settings: links, api: { ...stubApi(failedPod('SLUICE_FAILURE {"message":"bad sql"}'), { text: '', follow: [] }), getApplication: async () => failed } as unknown as KubeApi, lake: memoryLake() });
    expect(await launcher.status(handle)).toMatchObject({ phase: 'failed', message: 'bad sql', run: { sparkState: 'FAILED', historyUrl: 'https://history.example/history/spark-0001/' } });
  });
});

describe('k8s launcher: settings', () => {
  it('refuses a kubeconfig it cannot load, naming the setting', async () => {
    const { kubeConfigFrom } = await import('./kube-api.ts');
    expect(() => kubeConfigFrom('/nonexistent/kubeconfig')).toThrow(/SLUICE_K8S_KUBECONFIG: cannot load \/nonexistent\/kubeconfig/);
  });
});
