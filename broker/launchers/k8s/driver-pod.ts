// The k8s-native launcher's objects, as spark-submit in cluster mode makes them: the driver pod
// (Spark's image entrypoint with `driver --properties-file …`), a headless Service by which the
// executors reach the driver, and a ConfigMap holding spark.properties, the run spec and the
// executor pod template. The Service and ConfigMap are owned by the pod, so that deleting the
// pod (cancel, garbage collection) removes the rest.
import type { RunRequest } from '../launcher.ts';
import { FAILURE_FILE_ENV, SPEC_DIR, SPEC_FILE, specVolume, type EnvVar } from './pod-parts.ts';
import type { OwnerReference, RunObjects } from './run-objects.ts';
import type { K8sSettings } from './settings.ts';
import { DRIVER_CONTAINER } from './spark-application.ts';
import { initialExecutors } from './spark-conf.ts';
import type { V1Pod } from './kube-api.ts';

export const DRIVER_PORT = 7078;
export const BLOCK_MANAGER_PORT = 7079;
export const UI_PORT = 4040;
const PROPERTIES_FILE = 'spark.properties';
const EXECUTOR_TEMPLATE_FILE = 'executor-pod-template.json';
/** Spark's own minimum memory overhead of a pod (MiB), over the JVM heap. */
const MIN_OVERHEAD_MIB = 384;
const OVERHEAD_FACTOR = 0.1;

export const serviceName = (objects: Pick<RunObjects, 'name'>): string => `${objects.name}-svc`;

/** A JVM size (2g, 512m) in MiB. */
export function jvmMiB(size: string): number {
  const match = /^(\d+)([kmgtKMGT])$/.exec(size);
  if (!match) throw new Error(`"${size}" is not a JVM size`);
  const value = Number(match[1]);
  const unit = match[2]!.toLowerCase();
  return unit === 'k' ? Math.ceil(value / 1024) : unit === 'm' ? value : unit === 'g' ? value * 1024 : value * 1024 * 1024;
}

/** The pod's memory: the heap and Spark's overhead, as Spark sizes its pods. */
export function podMemory(size: string): string {
  const heap = jvmMiB(size);
  return `${heap + Math.max(MIN_OVERHEAD_MIB, Math.ceil(heap * OVERHEAD_FACTOR))}Mi`;
}

/** spark.properties: what spark-submit would have passed the driver, executors' settings included. */
export function driverProperties(objects: RunObjects, request: RunRequest): Record<string, string> {
  const engine = request.pipeline.engine;
  const { parts } = objects;
  const props: Record<string, string> = {
    'spark.master': 'k8s://https://kubernetes.default.svc',
    'spark.submit.deployMode': 'cluster',
    'spark.app.name': objects.name,
    'spark.kubernetes.namespace': objects.namespace,
    'spark.kubernetes.driver.pod.name': objects.name,
    'spark.kubernetes.container.image': objects.image,
    'spark.kubernetes.authenticate.driver.serviceAccountName': engine.service_account,
    'spark.kubernetes.executor.podNamePrefix': objects.name,
    'spark.driver.host': `${serviceName(objects)}.${objects.namespace}.svc`,
    'spark.driver.port': String(DRIVER_PORT),
    'spark.driver.blockManager.port': String(BLOCK_MANAGER_PORT),
    'spark.driver.cores': String(engine.driver.cores),
    'spark.driver.memory': engine.driver.memory,
    'spark.executor.instances': String(initialExecutors(request.pipeline)),
    'spark.executor.cores': String(engine.executor.cores),
    'spark.executor.memory': engine.executor.memory,
    'spark.kubernetes.submitInDriver': 'true',
  };
  for (const [key, value] of Object.entries({ ...parts.labels, ...objects.labels })) props[`spark.kubernetes.executor.label.${key}`] = value;
  for (const [key, value] of Object.entries({ ...parts.annotations, ...objects.annotations })) props[`spark.kubernetes.executor.annotation.${key}`] = value;
  for (const [key, value] of Object.entries(parts.nodeSelector)) props[`spark.kubernetes.node.selector.${key}`] = value;
  engine.volumes.forEach((volume, index) => {
    const prefix = `spark.kubernetes.executor.volumes.persistentVolumeClaim.landing-${index}`;
    props[`${prefix}.mount.path`] = volume.mount;
    props[`${prefix}.mount.readOnly`] = String(volume.read_only);
    props[`${prefix}.options.claimName`] = volume.claim;
  });
  for (const variable of parts.env) {
    // Executors get the same environment, secrets again by reference (name:key), never by value.
    if (variable.valueFrom) props[`spark.kubernetes.executor.secretKeyRef.${variable.name}`] = `${variable.valueFrom.secretKeyRef.name}:${variable.valueFrom.secretKeyRef.key}`;
    else props[`spark.executorEnv.${variable.name}`] = variable.value ?? '';
  }
  if (parts.tolerations.length > 0) props['spark.kubernetes.executor.podTemplateFile'] = `${SPEC_DIR}/${EXECUTOR_TEMPLATE_FILE}`;
  return { ...props, ...objects.sparkConf };
}

/** Java properties text, escaped so that any value reads back as written. */
export function propertiesText(props: Record<string, string>): string {
  const escape = (text: string, key: boolean): string =>
    text.replace(/[\\:=#!]|[ ]/g, (char) => (char === ' ' && !key ? ' ' : `\\${char}`)).replace(/\n/g, '\\n').replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Object.entries(props).map(([key, value]) => `${escape(key, true)}=${escape(value, false)}`).join('\n') + '\n';
}

export function buildDriverPod(objects: RunObjects, request: RunRequest, settings: K8sSettings): V1Pod {
  const engine = request.pipeline.engine;
  const { parts } = objects;
  const spec = specVolume(objects.specConfigMapName);
  const memory = podMemory(engine.driver.memory);
  const env: Array<EnvVar | { name: string; valueFrom: { fieldRef: { fieldPath: string } } }> = [
    { name: 'SPARK_CONF_DIR', value: SPEC_DIR },
    { name: 'SPARK_LOCAL_DIRS', value: '/var/data/spark' },
    // Spark binds the driver to the pod's own address.
    { name: 'SPARK_DRIVER_BIND_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ...parts.env,
    FAILURE_FILE_ENV,
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: objects.name,
      namespace: objects.namespace,
      labels: { ...parts.labels, ...objects.labels, 'spark-role': 'driver' },
      annotations: { ...parts.annotations, ...objects.annotations },
    },
    spec: {
      restartPolicy: 'Never',
      serviceAccountName: engine.service_account,
      ...(Object.keys(parts.nodeSelector).length > 0 ? { nodeSelector: parts.nodeSelector } : {}),
      ...(parts.tolerations.length > 0 ? { tolerations: parts.tolerations } : {}),
      volumes: [...parts.volumes, spec.volume, { name: 'spark-local-dir', emptyDir: {} }],
      containers: [
        {
          name: DRIVER_CONTAINER,
          image: objects.image,
          args: ['driver', '--properties-file', `${SPEC_DIR}/${PROPERTIES_FILE}`, '--class', 'org.apache.spark.deploy.PythonRunner', settings.appFile, ...objects.arguments],
          env,
          ports: [
            { name: 'driver-rpc-port', containerPort: DRIVER_PORT },
            { name: 'blockmanager', containerPort: BLOCK_MANAGER_PORT },
            { name: 'spark-ui', containerPort: UI_PORT },
          ],
          resources: { requests: { cpu: String(engine.driver.cores), memory }, limits: { memory } },
          volumeMounts: [...parts.mounts, spec.mount, { name: 'spark-local-dir', mountPath: '/var/data/spark', readOnly: false }],
          // The app's failure line reaches the pod's status even where nobody reads its log.
          terminationMessagePolicy: 'FallbackToLogsOnError',
        },
      ],
    },
  } as V1Pod;
}

/** The headless Service by which executors reach the driver (spark.driver.host). */
export function driverService(objects: RunObjects, owner: OwnerReference): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: serviceName(objects), namespace: objects.namespace, labels: objects.labels, annotations: objects.annotations, ownerReferences: [owner] },
    spec: {
      clusterIP: 'None',
      selector: { ...objects.labels, 'spark-role': 'driver' },
      ports: [
        { name: 'driver-rpc-port', port: DRIVER_PORT, targetPort: DRIVER_PORT },
        { name: 'blockmanager', port: BLOCK_MANAGER_PORT, targetPort: BLOCK_MANAGER_PORT },
        { name: 'spark-ui', port: UI_PORT, targetPort: UI_PORT },
      ],
    },
  };
}

/** The ConfigMap of a native run: spark.properties, the run spec, and the executors' pod template when tolerations need one. */
export function nativeConfigMap(objects: RunObjects, request: RunRequest, owner: OwnerReference): Record<string, unknown> {
  const { parts } = objects;
  const data: Record<string, string> = {
    [PROPERTIES_FILE]: propertiesText(driverProperties(objects, request)),
    [SPEC_FILE]: JSON.stringify(request.spec),
  };
  if (parts.tolerations.length > 0) {
    data[EXECUTOR_TEMPLATE_FILE] = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', spec: { tolerations: parts.tolerations, containers: [{ name: 'spark-kubernetes-executor' }] } });
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: objects.specConfigMapName, namespace: objects.namespace, labels: objects.labels, annotations: objects.annotations, ownerReferences: [owner] },
    data,
  };
}
