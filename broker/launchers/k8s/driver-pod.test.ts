import { describe, expect, it } from 'vitest';
import { PipelineSchema } from '../../core/pipeline.ts';
import { buildRunSpec } from '../../core/run-spec.ts';
import { buildDriverPod, driverService, jvmMiB, nativeConfigMap, podMemory, propertiesText } from './driver-pod.ts';
import { runObjects } from './run-objects.ts';
import { DEFAULT_APP_FILE, type K8sSettings } from './settings.ts';

const SECRET_VALUE = 'do-not-leak-9f8e7d6c5b4a';
const settings: K8sSettings = {
  kubeconfig: 'in-cluster', namespace: 'spark', image: 'registry.example/sluice-spark:4.0', appFile: DEFAULT_APP_FILE, sparkVersion: '4.0.1',
  driverLogs: true, s3: { region: 'eu-west-1', forcePathStyle: false, accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET_VALUE },
  s3CredentialsSecret: 'lake-creds', resyncMs: 1, quietMs: 1,
};
const pipeline = PipelineSchema.parse({
  name: 'harp-daily',
  input: { columns: { x: 'long' } },
  transform: { group_by: ['x'], metrics: [{ name: 'n', fn: 'count' }] },
  outputs: { lake: { table: 'harp' } },
  engine: {
    launcher: 'k8s-native',
    driver: { cores: 2, memory: '2g' },
    executor: { instances: 3, cores: 2, memory: '4g' },
    dynamic_allocation: { enabled: true, min: 1, max: 6 },
    env: [{ name: 'DB_PASSWORD', secret: { name: 'db', key: 'password' } }, { name: 'TZ', value: 'UTC' }],
    volumes: [{ claim: 'harp-landing', mount: '/landing/harp' }],
    pod_template: { node_selector: { pool: 'spark' }, tolerations: [{ key: 'spark', operator: 'Exists' }] },
  },
});
const spec = buildRunSpec({ pipeline, jobId: 'j9', attempt: 1, inputs: ['s3://lake/in/a.parquet'], parameters: {}, runUri: 's3://lake/harp/run=j9-1' });
const request = { jobId: 'j9', attempt: 1, pipeline, spec };
const objects = runObjects(request, settings);
const owner = { apiVersion: 'v1', kind: 'Pod', name: 'sluice-j9-1', uid: 'pod-uid', controller: true };

describe('the native driver pod and its companions', () => {
  it('sizes the pod as Spark does: heap plus max(384Mi, 10%)', () => {
    expect(jvmMiB('2g')).toBe(2048);
    expect(podMemory('2g')).toBe('2432Mi');
    expect(podMemory('8g')).toBe(`${8192 + 820}Mi`);
    const pod = buildDriverPod(objects, request, settings);
    expect(pod.spec?.containers[0]?.resources).toEqual({ requests: { cpu: '2', memory: '2432Mi' }, limits: { memory: '2432Mi' } });
  });

  it('runs Spark\'s driver entrypoint on the app with the mounted spec, FallbackToLogsOnError, labels, volumes and placement', () => {
    const pod = buildDriverPod(objects, request, settings);
    const container = pod.spec!.containers[0]!;
    expect(container.args).toEqual(['driver', '--properties-file', '/etc/sluice/spark.properties', '--class', 'org.apache.spark.deploy.PythonRunner', DEFAULT_APP_FILE, '--spec', '/etc/sluice/spec.json']);
    expect(container.terminationMessagePolicy).toBe('FallbackToLogsOnError');
    // The app writes its failure line there too, out of reach of Spark's later logging.
    expect(container.env).toContainEqual({ name: 'SLUICE_FAILURE_FILE', value: '/dev/termination-log' });
    expect(pod.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'sluice', 'sluice.io/job': 'j9', 'spark-role': 'driver' });
    expect(pod.spec).toMatchObject({ restartPolicy: 'Never', serviceAccountName: 'spark', nodeSelector: { pool: 'spark' }, tolerations: [{ key: 'spark', operator: 'Exists' }] });
    expect(container.volumeMounts).toContainEqual({ name: 'landing-0', mountPath: '/landing/harp', readOnly: true });
  });

  it('owns its headless Service and ConfigMap, which carry the driver address, executors\' settings and the spec', () => {
    const service = driverService(objects, owner) as { metadata: { ownerReferences: unknown[] }; spec: { clusterIP: string } };
    expect(service.metadata.ownerReferences).toEqual([owner]);
    expect(service.spec.clusterIP).toBe('None');
    const configMap = nativeConfigMap(objects, request, owner) as { metadata: { ownerReferences: unknown[] }; data: Record<string, string> };
    expect(configMap.metadata.ownerReferences).toEqual([owner]);
    expect(JSON.parse(configMap.data['spec.json']!)).toEqual(spec);
    const properties = configMap.data['spark.properties']!;
    for (const line of [
      'spark.submit.deployMode=cluster',
      'spark.kubernetes.driver.pod.name=sluice-j9-1',
      'spark.driver.host=sluice-j9-1-svc.spark.svc',
      'spark.dynamicAllocation.shuffleTracking.enabled=true',
      'spark.kubernetes.executor.volumes.persistentVolumeClaim.landing-0.mount.path=/landing/harp',
      'spark.kubernetes.executor.volumes.persistentVolumeClaim.landing-0.options.claimName=harp-landing',
      'spark.kubernetes.executor.secretKeyRef.DB_PASSWORD=db\\:password',
      'spark.kubernetes.node.selector.pool=spark',
      'spark.kubernetes.executor.podTemplateFile=/etc/sluice/executor-pod-template.json',
    ]) expect(properties.split('\n')).toContain(line);
    expect(JSON.parse(configMap.data['executor-pod-template.json']!).spec.tolerations).toEqual([{ key: 'spark', operator: 'Exists' }]);
  });

  it('holds no secret value anywhere', () => {
    const everything = JSON.stringify([buildDriverPod(objects, request, settings), driverService(objects, owner), nativeConfigMap(objects, request, owner)]);
    expect(everything).not.toContain(SECRET_VALUE);
    expect(everything).not.toContain('AKIAEXAMPLE');
  });

  it('escapes properties so that they read back as written', () => {
    expect(propertiesText({ 'a.b': 'x=y:z #1', 'c': 'line\nnext' })).toBe('a.b=x\\=y\\:z \\#1\nc=line\\nnext\n');
  });
});
