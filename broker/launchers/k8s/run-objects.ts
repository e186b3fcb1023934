// What both launchers derive from one run request before building their own objects: the
// names, labels, the run-spec ConfigMap, the pod parts and the Spark conf. One place, so that
// a SparkApplication and a hand-made driver pod run the same app with the same settings.
import { ConfigError } from '../../core/errors.ts';
import type { RunRequest } from '../launcher.ts';
import { kubernetesSparkConf } from './spark-conf.ts';
import { podParts, SPEC_FILE, SPEC_PATH, type PodParts } from './pod-parts.ts';
import { runAnnotations, runLabels, runName } from './names.ts';
import type { K8sSettings } from './settings.ts';

export type RunObjects = {
  namespace: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  parts: PodParts;
  sparkConf: Record<string, string>;
  /** The app's arguments: it reads the spec from the mounted ConfigMap. */
  arguments: string[];
  specConfigMapName: string;
};

export function runObjects(request: RunRequest, settings: K8sSettings): RunObjects {
  const engine = request.pipeline.engine;
  const image = engine.image ?? settings.image;
  if (!image) {
    throw new ConfigError(`pipeline "${request.pipeline.name}" names no engine.image and this worker has no SLUICE_K8S_SPARK_IMAGE: set one of them`);
  }
  const name = runName(request.jobId, request.attempt);
  const identity = { jobId: request.jobId, attempt: request.attempt, pipeline: request.pipeline.name, traceId: request.spec.trace_id };
  return {
    namespace: engine.namespace ?? settings.namespace,
    name,
    image,
    labels: runLabels(identity),
    annotations: runAnnotations(identity),
    parts: podParts(request.pipeline, request.spec, settings),
    sparkConf: kubernetesSparkConf(request.pipeline, request.spec, settings),
    arguments: ['--spec', SPEC_PATH],
    specConfigMapName: `${name}-spec`,
  };
}

/** The ConfigMap that carries the run spec to the driver, owned by the run's main object so that it goes with it. */
export function specConfigMap(objects: RunObjects, request: RunRequest, owner: OwnerReference): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: objects.specConfigMapName,
      namespace: objects.namespace,
      labels: objects.labels,
      annotations: objects.annotations,
      ownerReferences: [owner],
    },
    data: { [SPEC_FILE]: JSON.stringify(request.spec) },
  };
}

export type OwnerReference = { apiVersion: string; kind: string; name: string; uid: string; controller: boolean };
