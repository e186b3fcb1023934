// The k8s-operator launcher's main object: a SparkApplication, which the Kubeflow Spark
// Operator submits and follows. Its driver pod is the operator's, named in status.driverInfo.
import type { KubernetesListObject } from '@kubernetes/client-node';
import type { RunRequest } from '../launcher.ts';
import type { KubeApi, V1Pod } from './kube-api.ts';
import { MANAGED_SELECTOR } from './names.ts';
import { specConfigMap, type OwnerReference, type RunObjects } from './run-objects.ts';
import type { RunKind } from './run-kind.ts';
import type { K8sSettings } from './settings.ts';
import { buildSparkApplication, SPARK_GROUP, SPARK_KIND, SPARK_PLURAL, SPARK_VERSION, type SparkApplication } from './spark-application.ts';

/** Application states after which the operator does nothing more with the run. */
export const ENDED_APP_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'SUBMISSION_FAILED']);

export const operatorKind: RunKind<SparkApplication> = {
  launcherName: 'k8s-operator',
  what: 'SparkApplication',
  selector: MANAGED_SELECTOR,
  build: (objects: RunObjects, request: RunRequest, settings: K8sSettings) => buildSparkApplication(objects, request, settings),
  create: (api: KubeApi, namespace: string, body: SparkApplication) => api.createApplication(namespace, body),
  get: (api, namespace, name) => api.getApplication(namespace, name),
  delete: (api, namespace, name, propagation) => api.deleteApplication(namespace, name, propagation),
  list: (api, namespace, selector) => api.listApplications(namespace, selector) as Promise<KubernetesListObject<SparkApplication>>,
  watchPath: (namespace) => `/apis/${SPARK_GROUP}/${SPARK_VERSION}/namespaces/${namespace}/${SPARK_PLURAL}`,
  companions: (objects, request, owner) => [{ kind: 'ConfigMap', body: specConfigMap(objects, request, owner) }],
  ownerOf: (main): OwnerReference => ({ apiVersion: `${SPARK_GROUP}/${SPARK_VERSION}`, kind: SPARK_KIND, name: main.metadata.name, uid: main.metadata.uid!, controller: true }),
  state: (main) => ({
    deleting: Boolean(main.metadata.deletionTimestamp),
    appState: main.status?.applicationState?.state ?? '',
    appError: main.status?.applicationState?.errorMessage,
    appId: main.status?.sparkApplicationId,
    sparkState: main.status?.applicationState?.state || undefined,
  }),
  isEnded: (main) => Boolean(main.metadata.deletionTimestamp) || ENDED_APP_STATES.has(main.status?.applicationState?.state ?? ''),
  // Before the operator submitted the application (no status yet) there is no driver pod to read.
  driverPod: (api: KubeApi, main: SparkApplication): Promise<V1Pod | undefined> =>
    main.status?.applicationState?.state || main.status?.driverInfo?.podName
      ? api.getPod(main.metadata.namespace!, main.status?.driverInfo?.podName ?? `${main.metadata.name}-driver`)
      : Promise.resolve(undefined),
  driverPodName: (main) => main.status?.driverInfo?.podName ?? `${main.metadata.name}-driver`,
};
