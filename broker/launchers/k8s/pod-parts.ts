// The pieces every pod of a run shares, whichever launcher makes it: environment (values and
// Secret references only), volumes mounted at the pipeline's paths, the run-spec ConfigMap,
// node selector and tolerations. The operator launcher hands them to the SparkApplication's
// driver and executor; the native launcher puts them in its driver pod and the executor pod
// template. Secrets appear here only as references: nothing in a spec holds a secret value.
import type { Pipeline } from '../../core/pipeline.ts';
import type { SparkRunSpec } from '../../core/run-spec.ts';
import { s3aSettings, usesS3 } from '../spark/s3a-settings.ts';
import type { K8sSettings } from './settings.ts';
import { ConfigError } from '../../core/errors.ts';

export type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } };
export type Volume = { name: string; persistentVolumeClaim?: { claimName: string; readOnly: boolean }; configMap?: { name: string } };
export type VolumeMount = { name: string; mountPath: string; readOnly: boolean };
export type Toleration = { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number };

/** Where the run spec is mounted in the driver: the app reads it with --spec. */
export const SPEC_DIR = '/etc/sluice';
export const SPEC_FILE = 'spec.json';
export const SPEC_PATH = `${SPEC_DIR}/${SPEC_FILE}`;
const SPEC_VOLUME = 'sluice-spec';

/** The S3 keys' names in SLUICE_K8S_S3_SECRET: the variables S3A and pyarrow read. */
const S3_KEY_NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;

/**
 * The driver's environment entry that has the app write its failure line to the container's
 * termination message as well (spark-apps/sluice_spark/failures.py): the launcher reads the
 * line from the pod's status where it reads no log (SLUICE_K8S_DRIVER_LOGS=off), and there
 * Spark's shutdown logging could push it out of the log's last 2 KB.
 */
export const FAILURE_FILE_ENV = { name: 'SLUICE_FAILURE_FILE', value: '/dev/termination-log' } as const;

export type PodParts = {
  env: EnvVar[];
  /** The pipeline's claims (the spec's ConfigMap is the driver's alone: specVolume). */
  volumes: Volume[];
  mounts: VolumeMount[];
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
};

export function podParts(pipeline: Pipeline, spec: SparkRunSpec, settings: Pick<K8sSettings, 's3' | 's3CredentialsSecret'>): PodParts {
  const engine = pipeline.engine;
  const env: EnvVar[] = [];
  if (usesS3(spec)) {
    if (!settings.s3) throw new ConfigError('this run reads or writes S3, but the Kubernetes launcher has no S3 settings: set SLUICE_S3_REGION (and SLUICE_S3_ENDPOINT for MinIO)');
    for (const [name, value] of Object.entries(s3aSettings(settings.s3).env)) env.push({ name, value });
    // Keys only by reference: the pipeline's own env may name them instead (it wins below).
    if (settings.s3CredentialsSecret) {
      for (const name of S3_KEY_NAMES) env.push({ name, valueFrom: { secretKeyRef: { name: settings.s3CredentialsSecret, key: name } } });
    }
  }
  for (const variable of engine.env) {
    const entry: EnvVar = variable.secret
      ? { name: variable.name, valueFrom: { secretKeyRef: { name: variable.secret.name, key: variable.secret.key } } }
      : { name: variable.name, value: variable.value ?? '' };
    const index = env.findIndex((existing) => existing.name === variable.name);
    if (index >= 0) env[index] = entry;
    else env.push(entry);
  }
  const volumes = engine.volumes.map((volume, index) => ({
    name: `landing-${index}`,
    persistentVolumeClaim: { claimName: volume.claim, readOnly: volume.read_only },
  }));
  const mounts = engine.volumes.map((volume, index) => ({ name: `landing-${index}`, mountPath: volume.mount, readOnly: volume.read_only }));
  const tolerations = engine.pod_template.tolerations.map((toleration) => ({
    ...(toleration.key !== undefined ? { key: toleration.key } : {}),
    ...(toleration.operator !== undefined ? { operator: toleration.operator } : {}),
    ...(toleration.value !== undefined ? { value: toleration.value } : {}),
    ...(toleration.effect !== undefined ? { effect: toleration.effect } : {}),
    ...(toleration.toleration_seconds !== undefined ? { tolerationSeconds: toleration.toleration_seconds } : {}),
  }));
  return {
    env,
    volumes,
    mounts,
    nodeSelector: { ...engine.pod_template.node_selector },
    tolerations,
    labels: { ...engine.pod_template.labels },
    annotations: { ...engine.pod_template.annotations },
  };
}

/** The driver's volume and mount of the run-spec ConfigMap. */
export function specVolume(configMapName: string): { volume: Volume; mount: VolumeMount } {
  return {
    volume: { name: SPEC_VOLUME, configMap: { name: configMapName } },
    mount: { name: SPEC_VOLUME, mountPath: SPEC_DIR, readOnly: true },
  };
}

/** The Spark S3A settings of a run (endpoint, region, addressing; keys come from the environment). */
export function s3Conf(spec: SparkRunSpec, settings: Pick<K8sSettings, 's3' | 's3CredentialsSecret'>): Record<string, string> {
  if (!usesS3(spec) || !settings.s3) return {};
  const { conf } = s3aSettings(settings.s3);
  return conf;
}
