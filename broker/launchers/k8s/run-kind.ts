// What differs between the two Kubernetes launchers, and nothing else: the main object of a run
// (a SparkApplication, or the driver pod itself), how it is made, read, listed, watched and
// deleted, and how its state reads. Everything else (names, adoption, tracking, the outcome,
// logs, cancel) is k8s-launcher.ts, shared.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { RunRequest } from '../launcher.ts';
import type { KubeApi, V1Pod } from './kube-api.ts';
import type { OwnerReference, RunObjects } from './run-objects.ts';
import type { K8sSettings } from './settings.ts';

export type MainState = {
  deleting: boolean;
  /** The SparkApplication's state; undefined for a driver pod. */
  appState?: string | undefined;
  appError?: string | undefined;
  /** The Spark application id, once known: the history server names its pages by it. */
  appId?: string | undefined;
  /** The run's state in the Spark Operator's words (for a driver pod, its phase in those words); undefined before there is one. */
  sparkState?: string | undefined;
};

export interface RunKind<T extends KubernetesObject> {
  readonly launcherName: 'k8s-operator' | 'k8s-native';
  /** "SparkApplication" or "driver pod", for messages. */
  readonly what: string;
  /** The selector of the main objects (Sluice's, and for pods only drivers). */
  readonly selector: string;
  /** The main object, built (not created). */
  build(objects: RunObjects, request: RunRequest, settings: K8sSettings): T;
  /** Creates it; the API's 409 on a name taken is the caller's to read. */
  create(api: KubeApi, namespace: string, body: T): Promise<T>;
  get(api: KubeApi, namespace: string, name: string): Promise<T | undefined>;
  delete(api: KubeApi, namespace: string, name: string, propagation: 'Foreground' | 'Background'): Promise<boolean>;
  list(api: KubeApi, namespace: string, selector: string): Promise<KubernetesListObject<T>>;
  /** The collection the informer watches. */
  watchPath(namespace: string): string;
  /** Objects made beside the main one, owned by it (the run-spec ConfigMap; a Service for the native driver). */
  companions(objects: RunObjects, request: RunRequest, owner: OwnerReference): Array<{ kind: 'ConfigMap' | 'Service'; body: Record<string, unknown> }>;
  ownerOf(main: T): OwnerReference;
  state(main: T): MainState;
  /** The informer's test: the object shows its run ended. */
  isEnded(main: T): boolean;
  /** The driver pod: read for the operator's application, the object itself for the native launcher. */
  driverPod(api: KubeApi, main: T): Promise<V1Pod | undefined>;
  driverPodName(main: T): string;
}
