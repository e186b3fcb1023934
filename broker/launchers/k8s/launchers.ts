// The Kubernetes launchers as the composition root builds them: one API client from the
// settings, shared by both, each a K8sLauncher with its RunKind.
import type { Logger } from 'pino';
import type { LakeStorage } from '../../lake/storage.ts';
import type { Launcher } from '../launcher.ts';
import { K8sLauncher } from './k8s-launcher.ts';
import { KubeApi, kubeConfigFrom, type V1Pod } from './kube-api.ts';
import { nativeKind } from './native-kind.ts';
import { operatorKind } from './operator-kind.ts';
import type { K8sSettings } from './settings.ts';
import type { SparkApplication } from './spark-application.ts';

export type K8sLauncherExtras = { logger?: Logger | undefined; namespaces?: readonly string[]; api?: KubeApi };

export function createOperatorLauncher(settings: K8sSettings, lake: LakeStorage, extras: K8sLauncherExtras = {}): K8sLauncher<SparkApplication> {
  const api = extras.api ?? new KubeApi(kubeConfigFrom(settings.kubeconfig));
  return new K8sLauncher(operatorKind, { settings, api, lake, logger: extras.logger, ...(extras.namespaces ? { namespaces: extras.namespaces } : {}) });
}

export function createNativeLauncher(settings: K8sSettings, lake: LakeStorage, extras: K8sLauncherExtras = {}): K8sLauncher<V1Pod> {
  const api = extras.api ?? new KubeApi(kubeConfigFrom(settings.kubeconfig));
  return new K8sLauncher(nativeKind, { settings, api, lake, logger: extras.logger, ...(extras.namespaces ? { namespaces: extras.namespaces } : {}) });
}

/** Both launchers on one client, keyed by the names pipelines use in engine.launcher. */
export function createKubernetesLaunchers(settings: K8sSettings, lake: LakeStorage, extras: K8sLauncherExtras = {}): Record<string, Launcher> {
  const api = extras.api ?? new KubeApi(kubeConfigFrom(settings.kubeconfig));
  return {
    'k8s-operator': createOperatorLauncher(settings, lake, { ...extras, api }),
    'k8s-native': createNativeLauncher(settings, lake, { ...extras, api }),
  };
}
