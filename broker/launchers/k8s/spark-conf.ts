// The Spark settings of a run on Kubernetes that both launchers give it: dynamic allocation
// the way Spark on Kubernetes can do it (no external shuffle service, so shuffle tracking),
// S3A endpoint settings, and the pipeline's own conf on top.
import type { Pipeline } from '../../core/pipeline.ts';
import type { SparkRunSpec } from '../../core/run-spec.ts';
import { S3A_ENV_CREDENTIALS_PROVIDER } from '../spark/s3a-settings.ts';
import { s3Conf } from './pod-parts.ts';
import type { K8sSettings } from './settings.ts';

/** Settings a pipeline may not turn off: without shuffle tracking, dynamic allocation on Kubernetes loses shuffle data with each executor it releases. */
const SHUFFLE_TRACKING = 'spark.dynamicAllocation.shuffleTracking.enabled';

export function kubernetesSparkConf(pipeline: Pipeline, spec: SparkRunSpec, settings: Pick<K8sSettings, 's3' | 's3CredentialsSecret'>): Record<string, string> {
  const engine = pipeline.engine;
  const conf: Record<string, string> = { ...s3Conf(spec, settings) };
  if (Object.keys(conf).length > 0 && settings.s3CredentialsSecret) conf['spark.hadoop.fs.s3a.aws.credentials.provider'] = S3A_ENV_CREDENTIALS_PROVIDER;
  const allocation = engine.dynamic_allocation;
  if (allocation.enabled) {
    const initial = Math.min(Math.max(engine.executor.instances, allocation.min), allocation.max);
    Object.assign(conf, {
      'spark.dynamicAllocation.enabled': 'true',
      'spark.dynamicAllocation.minExecutors': String(allocation.min),
      'spark.dynamicAllocation.maxExecutors': String(allocation.max),
      'spark.dynamicAllocation.initialExecutors': String(initial),
    });
  }
  Object.assign(conf, engine.conf);
  if (allocation.enabled) conf[SHUFFLE_TRACKING] = 'true';
  return conf;
}

/** The executor count a run starts with: dynamic allocation's initial count when it is on. */
export function initialExecutors(pipeline: Pipeline): number {
  const { executor, dynamic_allocation: allocation } = pipeline.engine;
  return allocation.enabled ? Math.min(Math.max(executor.instances, allocation.min), allocation.max) : executor.instances;
}
