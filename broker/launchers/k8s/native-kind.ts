// The k8s-native launcher's main object: the driver pod itself, made by Sluice as spark-submit
// in cluster mode would make it (driver-pod.ts). Its Service and ConfigMap are owned by it.
import type { KubernetesListObject } from '@kubernetes/client-node';
import { driverService, nativeConfigMap, buildDriverPod } from './driver-pod.ts';
import type { V1Pod } from './kube-api.ts';
import { MANAGED_SELECTOR } from './names.ts';
import type { OwnerReference } from './run-objects.ts';
import type { RunKind } from './run-kind.ts';

const ENDED_PHASES: ReadonlySet<string> = new Set(['Succeeded', 'Failed']);

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
  state: (main) => ({ deleting: Boolean(main.metadata?.deletionTimestamp) }),
  isEnded: (main) => Boolean(main.metadata?.deletionTimestamp) || ENDED_PHASES.has(main.status?.phase ?? ''),
  driverPod: (_api, main) => Promise.resolve(main),
  driverPodName: (main) => main.metadata!.name!,
};
