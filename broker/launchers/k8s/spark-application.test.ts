import { describe, expect, it } from 'vitest';
import { PipelineSchema } from '../../core/pipeline.ts';
import { buildRunSpec } from '../../core/run-spec.ts';
import { runObjects, specConfigMap } from './run-objects.ts';
import { DEFAULT_APP_FILE, type K8sSettings } from './settings.ts';
import { buildSparkApplication } from './spark-application.ts';

const SECRET_VALUE = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';

const settings: K8sSettings = {
  kubeconfig: 'in-cluster',
  namespace: 'spark',
  image: 'registry.example/sluice-spark:4.0',
  appFile: DEFAULT_APP_FILE,
  sparkVersion: '4.0.1',
  driverLogs: true,
  // Keys in the broker's settings must never reach a spec: only the Secret's name does.
  s3: { endpoint: 'http://minio.example:9000', region: 'eu-west-1', forcePathStyle: true, accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET_VALUE },
  s3CredentialsSecret: 'lake-creds',
  resyncMs: 300_000,
  quietMs: 600_000,
};

const pipeline = PipelineSchema.parse({
  name: 'harp-daily',
  input: { columns: { x: 'long' } },
  transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
  outputs: { lake: { table: 'harp' } },
  engine: {
    launcher: 'k8s-operator',
    namespace: 'analytics',
    service_account: 'spark',
    driver: { cores: 1, memory: '2g' },
    executor: { instances: 4, cores: 2, memory: '8g' },
    dynamic_allocation: { enabled: true, min: 2, max: 20 },
    conf: { 'spark.sql.shuffle.partitions': '400' },
    env: [{ name: 'AWS_ACCESS_KEY_ID', secret: { name: 'lake-creds', key: 'access-key' } }, { name: 'TZ', value: 'UTC' }],
    volumes: [{ claim: 'harp-landing', mount: '/landing/harp', read_only: true }],
    pod_template: { node_selector: { pool: 'spark' }, tolerations: [{ key: 'spark', operator: 'Exists', effect: 'NoSchedule' }] },
  },
});

function build() {
  const spec = buildRunSpec({ pipeline, jobId: 'j1', attempt: 2, inputs: ['/landing/harp/a.parquet', 's3://lake/in/b.parquet'], parameters: {}, runUri: 's3://lake/harp/run=j1-2', traceId: 't-123' });
  const request = { jobId: 'j1', attempt: 2, pipeline, spec };
  const objects = runObjects(request, settings);
  return { request, objects, app: buildSparkApplication(objects, request, settings) };
}

describe('SparkApplication from a pipeline and a job', () => {
  it('names, labels and annotates the application from the job', () => {
    const { app } = build();
    expect(app.metadata).toMatchObject({
      name: 'sluice-j1-2',
      namespace: 'analytics',
      labels: { 'app.kubernetes.io/managed-by': 'sluice', 'sluice.io/job': 'j1', 'sluice.io/pipeline': 'harp-daily', 'sluice.io/attempt': '2' },
      annotations: { 'sluice.io/trace-id': 't-123' },
    });
    expect(app.spec).toMatchObject({ type: 'Python', mode: 'cluster', image: 'registry.example/sluice-spark:4.0', mainApplicationFile: DEFAULT_APP_FILE, arguments: ['--spec', '/etc/sluice/spec.json'], restartPolicy: { type: 'Never' } });
  });

  it('sizes driver and executors, and turns on dynamic allocation with shuffle tracking', () => {
    const { app } = build();
    expect(app.spec?.driver).toMatchObject({ cores: 1, memory: '2g', serviceAccount: 'spark' });
    expect(app.spec?.executor).toMatchObject({ instances: 4, cores: 2, memory: '8g' });
    expect(app.spec?.dynamicAllocation).toEqual({ enabled: true, initialExecutors: 4, minExecutors: 2, maxExecutors: 20, shuffleTrackingEnabled: true });
    expect(app.spec?.sparkConf).toMatchObject({
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.shuffleTracking.enabled': 'true',
      'spark.sql.shuffle.partitions': '400',
      'spark.hadoop.fs.s3a.endpoint': 'http://minio.example:9000',
    });
  });

  it('mounts the volumes at the same paths in driver and executors, with the node selector and tolerations', () => {
    const { app } = build();
    const mount = { name: 'landing-0', mountPath: '/landing/harp', readOnly: true };
    expect(app.spec?.volumes).toContainEqual({ name: 'landing-0', persistentVolumeClaim: { claimName: 'harp-landing', readOnly: true } });
    expect((app.spec?.driver as { volumeMounts: unknown[] }).volumeMounts).toContainEqual(mount);
    expect((app.spec?.executor as { volumeMounts: unknown[] }).volumeMounts).toContainEqual(mount);
    for (const role of ['driver', 'executor'] as const) {
      expect(app.spec?.[role]).toMatchObject({ nodeSelector: { pool: 'spark' }, tolerations: [{ key: 'spark', operator: 'Exists', effect: 'NoSchedule' }] });
    }
  });

  it('delivers the run spec in a ConfigMap owned by the application, mounted where --spec points', () => {
    const { app, objects, request } = build();
    const owner = { apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication', name: 'sluice-j1-2', uid: 'u-1', controller: true };
    const configMap = specConfigMap(objects, request, owner) as { metadata: { name: string; ownerReferences: unknown[] }; data: Record<string, string> };
    expect(configMap.metadata.ownerReferences).toEqual([owner]);
    expect(JSON.parse(configMap.data['spec.json']!)).toEqual(request.spec);
    expect(app.spec?.volumes).toContainEqual({ name: 'sluice-spec', configMap: { name: configMap.metadata.name } });
    expect((app.spec?.driver as { volumeMounts: unknown[] }).volumeMounts).toContainEqual({ name: 'sluice-spec', mountPath: '/etc/sluice', readOnly: true });
  });

  it('holds no secret value: keys go by secretKeyRef only', () => {
    const { app, objects, request } = build();
    const everything = JSON.stringify([app, specConfigMap(objects, request, { apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u', controller: true })]);
    expect(everything).not.toContain(SECRET_VALUE);
    expect(everything).not.toContain('AKIAEXAMPLE');
    const env = (app.spec?.driver as { env: Array<{ name: string; value?: string; valueFrom?: unknown }> }).env;
    expect(env).toContainEqual({ name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 'lake-creds', key: 'access-key' } } });
    expect(env).toContainEqual({ name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: 'lake-creds', key: 'AWS_SECRET_ACCESS_KEY' } } });
    expect(env).toContainEqual({ name: 'TZ', value: 'UTC' });
  });

  it('has the driver alone write its failure line to its termination message too', () => {
    const { app } = build();
    const envOf = (role: 'driver' | 'executor') => (app.spec?.[role] as { env?: Array<{ name: string }> }).env ?? [];
    expect(envOf('driver')).toContainEqual({ name: 'SLUICE_FAILURE_FILE', value: '/dev/termination-log' });
    expect(envOf('executor').map((variable) => variable.name)).not.toContain('SLUICE_FAILURE_FILE');
  });
});
