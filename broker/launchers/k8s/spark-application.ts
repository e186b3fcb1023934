// The k8s-operator launcher's object: a SparkApplication (sparkoperator.k8s.io/v1beta2) that
// the Kubeflow Spark Operator turns into spark-submit in cluster mode. Everything in it comes
// from the pipeline and the job (run-objects.ts); nothing in it is a secret value.
import type { RunRequest } from '../launcher.ts';
import { FAILURE_FILE_ENV, specVolume } from './pod-parts.ts';
import type { RunObjects } from './run-objects.ts';
import type { K8sSettings } from './settings.ts';
import { initialExecutors } from './spark-conf.ts';

export const SPARK_GROUP = 'sparkoperator.k8s.io';
export const SPARK_VERSION = 'v1beta2';
export const SPARK_PLURAL = 'sparkapplications';
export const SPARK_KIND = 'SparkApplication';

/** The container names Spark gives its pods: the termination-message policy is set on them through the pod templates. */
export const DRIVER_CONTAINER = 'spark-kubernetes-driver';
export const EXECUTOR_CONTAINER = 'spark-kubernetes-executor';

/**
 * A failing container's last log lines become its termination message when it wrote none, so
 * the app's SLUICE_FAILURE line reaches the pod's status even when nobody can read its log.
 */
const MESSAGE_FROM_LOG = { spec: { containers: [{ name: DRIVER_CONTAINER, terminationMessagePolicy: 'FallbackToLogsOnError' }] } };

export type SparkApplication = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: Date;
    creationTimestamp?: Date;
  };
  spec?: Record<string, unknown>;
  status?: {
    applicationState?: { state?: string; errorMessage?: string };
    driverInfo?: { podName?: string; webUIServiceName?: string };
    sparkApplicationId?: string;
    terminationTime?: string;
  };
};

export function buildSparkApplication(objects: RunObjects, request: RunRequest, settings: K8sSettings): SparkApplication {
  const engine = request.pipeline.engine;
  const { parts } = objects;
  const spec = specVolume(objects.specConfigMapName);
  const podCommon = {
    labels: { ...parts.labels, ...objects.labels },
    annotations: { ...parts.annotations, ...objects.annotations },
    ...(parts.env.length > 0 ? { env: parts.env } : {}),
    ...(Object.keys(parts.nodeSelector).length > 0 ? { nodeSelector: parts.nodeSelector } : {}),
    ...(parts.tolerations.length > 0 ? { tolerations: parts.tolerations } : {}),
    serviceAccount: engine.service_account,
  };
  return {
    apiVersion: `${SPARK_GROUP}/${SPARK_VERSION}`,
    kind: SPARK_KIND,
    metadata: { name: objects.name, namespace: objects.namespace, labels: objects.labels, annotations: objects.annotations },
    spec: {
      type: 'Python',
      pythonVersion: '3',
      mode: 'cluster',
      sparkVersion: settings.sparkVersion,
      image: objects.image,
      mainApplicationFile: settings.appFile,
      arguments: objects.arguments,
      sparkConf: objects.sparkConf,
      volumes: [...parts.volumes, spec.volume],
      driver: {
        ...podCommon,
        env: [...parts.env, FAILURE_FILE_ENV],
        cores: engine.driver.cores,
        memory: engine.driver.memory,
        volumeMounts: [...parts.mounts, spec.mount],
        template: MESSAGE_FROM_LOG,
      },
      executor: {
        ...podCommon,
        instances: initialExecutors(request.pipeline),
        cores: engine.executor.cores,
        memory: engine.executor.memory,
        ...(parts.mounts.length > 0 ? { volumeMounts: parts.mounts } : {}),
      },
      ...(engine.dynamic_allocation.enabled
        ? {
            dynamicAllocation: {
              enabled: true,
              initialExecutors: initialExecutors(request.pipeline),
              minExecutors: engine.dynamic_allocation.min,
              maxExecutors: engine.dynamic_allocation.max,
              shuffleTrackingEnabled: true,
            },
          }
        : {}),
      // Sluice retries by policy as a new attempt (a new application): the operator never does.
      restartPolicy: { type: 'Never' },
    },
  };
}
