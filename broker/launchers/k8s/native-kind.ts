// The k8s-native launcher's main object: the driver pod itself, made by Sluice as spark-submit
// in cluster mode would make it (driver-pod.ts). Its Service and ConfigMap are owned by it.
import type { KubernetesListObject } from '@kubernetes/client-node';
import { driverService, nativeConfigMap, buildDriverPod } from './driver-pod.ts';
import type { V1Pod } from './kube-api.ts';
import { MANAGED_SELECTOR } from './names.ts';
import type { OwnerReference } from './run-objects.ts';
import type { RunKind } from './run-kind.ts';

const ENDED_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

/**
 * The driver pod's phase in the Spark Operator's words, so that both launchers show one
 * vocabulary: a pod made but not running is what the operator calls SUBMITTED.
 */
const SPARK_STATE_OF_PHASE: Readonly<Record<string, string>> = {
  Pending: 'SUBMITTED',
  Running: 'RUNNING',
  Succeeded: 'COMPLETED',
  Failed: 'FAILED',
  Unknown: 'UNKNOWN',
};

export const nativeKind: RunKind<V1Pod> = {
  launcherName: 'k8s-native',
  what: 'driver pod',
  // Only drivers: the executors Spark makes carry the run's labels too.
  selector: `${MANAGED_SELECTOR},spark-role=driver`,
  build: (objects, request, settings) => buildDriverPod(objects, request, settings),
  create: (api, namespace, body) => api.core.createNamespacedPod({ namespace, body }),
  get: (api, namespace, name) => api.getPod(namespace, name),
  delete: (api, namespace, name, propagation) => api.deletePod(namespace, name, propagation),
  list: (api, namespace, selector) => api.core.listNamespacedPod({ namespace, labelSelector: selector }) as Promise<KubernetesListObject<V1Pod>>,
  watchPath: (namespace) => `/api/v1/namespaces/${namespace}/pods`,
  companions: (objects, request, owner) => [
    { kind: 'ConfigMap', body: nativeConfigMap(objects, request, owner) },
    { kind: 'Service', body: driverService(objects, owner) },
  ],
  ownerOf: (main): OwnerReference => ({ apiVersion: 'v1', kind: 'Pod', name: main.metadata!.name!, uid: main.metadata!.uid!, controller: true }),
  // No Spark application id: spark-submit would give the driver one (spark.app.id and the
  // spark-app-selector label) but this launcher makes the pod itself and sets neither, so the
  // id is the driver's own, unknown here. A link template that needs {appId} is left out for
  // these runs; one with {namespace} and {name} only is filled.
  state: (main) => ({
    deleting: Boolean(main.metadata?.deletionTimestamp),
    sparkState: SPARK_STATE_OF_PHASE[main.status?.phase ?? ''],
  }),
  isEnded: (main) => Boolean(main.metadata?.deletionTimestamp) || ENDED_PHASES.has(main.status?.phase ?? ''),
  driverPod: (_api, main) => Promise.resolve(main),
  driverPodName: (main) => main.metadata!.name!,
};
