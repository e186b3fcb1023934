// The Kubernetes launchers' settings, as broker/config.ts parses them from SLUICE_K8S_* and
// the composition root hands them over. Kept as a plain type so that the launchers and their
// tests never read the environment.
import type { Config } from '../../config.ts';
import type { S3Settings } from '../../lake/s3-storage.ts';

export type K8sSettings = {
  /** `in-cluster` (the pod's ServiceAccount token) or the path of a kubeconfig file. */
  kubeconfig: string;
  /** Where a pipeline that names no `engine.namespace` runs. */
  namespace: string;
  /** The Spark-apps image for a pipeline that names no `engine.image`; none: such a pipeline is refused at launch. */
  image?: string | undefined;
  /** The entry script inside the image, as Spark takes it (local:// is a path in the image). */
  appFile: string;
  /** The Spark version the image holds (the SparkApplication's sparkVersion). */
  sparkVersion: string;
  /** Spark UI link while a run lives: a template with {namespace} {name} {appId}. */
  uiUrl?: string | undefined;
  /** History-server link once a run ended: the same placeholders. */
  historyUrl?: string | undefined;
  /**
   * Whether the driver log is read through pods/log (tail, follow, archive). Off where the
   * API server cannot reach the kubelets (the simulated test cluster): the failure line then
   * comes from the driver's termination message alone.
   */
  driverLogs: boolean;
  /** A Secret holding AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for runs that use S3 (by reference only). */
  s3CredentialsSecret?: string | undefined;
  /** S3 endpoint, region and addressing for runs that use S3; its keys are never used here. */
  s3?: S3Settings | undefined;
  /** The informer lists everything again this often, whatever its watch says. */
  resyncMs: number;
  /** A watch with no event or list for this long is restarted. */
  quietMs: number;
};

export const DEFAULT_APP_FILE = 'local:///opt/sluice/spark-apps/run_aggregate.py';

/** Fills a link template's {namespace} {name} {appId}; undefined when there is no template or a value it needs is missing. */
export function linkFrom(template: string | undefined, values: { namespace: string; name: string; appId?: string | undefined }): string | undefined {
  if (!template) return undefined;
  if (template.includes('{appId}') && !values.appId) return undefined;
  return template
    .replaceAll('{namespace}', encodeURIComponent(values.namespace))
    .replaceAll('{name}', encodeURIComponent(values.name))
    .replaceAll('{appId}', encodeURIComponent(values.appId ?? ''));
}

/** The settings from SLUICE_K8S_* (and the S3 endpoint settings); undefined when Kubernetes is not configured. */
export function k8sSettingsFrom(config: Config, s3: S3Settings): K8sSettings | undefined {
  if (!config.SLUICE_K8S_KUBECONFIG) return undefined;
  return {
    kubeconfig: config.SLUICE_K8S_KUBECONFIG,
    namespace: config.SLUICE_K8S_NAMESPACE,
    image: config.SLUICE_K8S_SPARK_IMAGE,
    appFile: config.SLUICE_K8S_APP_FILE,
    sparkVersion: config.SLUICE_K8S_SPARK_VERSION,
    uiUrl: config.SLUICE_K8S_UI_URL,
    historyUrl: config.SLUICE_K8S_HISTORY_URL,
    driverLogs: config.SLUICE_K8S_DRIVER_LOGS === 'on',
    s3CredentialsSecret: config.SLUICE_K8S_S3_SECRET,
    // Endpoint, region and addressing only: the keys reach pods through SLUICE_K8S_S3_SECRET.
    s3: { ...(s3.endpoint ? { endpoint: s3.endpoint } : {}), region: s3.region, forcePathStyle: s3.forcePathStyle },
    resyncMs: config.SLUICE_K8S_RESYNC,
    quietMs: config.SLUICE_K8S_WATCH_QUIET,
  };
}
