// What a Spark run that reads or writes S3 needs on top of a plain run: the S3A jars, the
// spark.hadoop.fs.s3a.* settings for Spark, the variables for the app's own S3 client, and
// the keys, kept apart so that a launcher puts them only where no other user can read them
// (a child's environment, a Kubernetes secret), never in argv, a spec or a log. Shared by
// every launcher that runs the Spark app.
import { access } from 'node:fs/promises';
import { ConfigError } from '../../core/errors.ts';
import type { SparkRunSpec } from '../../core/run-spec.ts';
import type { S3Settings } from '../../lake/s3-storage.ts';

/** What an S3 run adds to spark-submit: jars and settings in argv, keys apart for the environment. */
export type S3Submit = {
  jars: readonly string[];
  /** spark.hadoop.fs.s3a.* settings for Spark's reads and writes. */
  conf: Record<string, string>;
  /**
   * Variables the app's own S3 client (pyarrow, for footer checks, part-file listing and the
   * manifest, all before or outside Spark) reads; see spark-apps/sluice_spark/storage.py.
   */
  env: Record<string, string>;
  /** The keys: only ever set in the run's environment. */
  secretEnv: Record<string, string>;
};

/** The launcher's S3 means: the SLUICE_S3_* settings and the jars scripts/setup fetches. */
export type S3aOptions = { s3?: S3Settings | undefined; s3aJars?: readonly string[] | undefined };

/** S3A's provider for AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (hadoop-aws 3.4 takes SDK v2 providers by class name). */
export const S3A_ENV_CREDENTIALS_PROVIDER = 'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider';

/** Whether a run touches S3: an input or its output is an s3:// or s3a:// URI. */
export function usesS3(spec: SparkRunSpec): boolean {
  return [...spec.inputs, spec.output.run_uri].some((uri) => /^s3a?:\/\//.test(uri));
}

/**
 * The S3 additions for a run that uses S3, undefined for one that does not (it neither
 * needs the 560 MB of jars on its classpath nor S3 settings). A run that uses S3 on a
 * launcher given no S3 settings or jars is a misconfigured broker, not bad data: ConfigError.
 */
export function s3Submit(options: S3aOptions, spec: SparkRunSpec): S3Submit | undefined {
  if (!usesS3(spec)) return undefined;
  const { s3aJars } = options;
  if (!options.s3 || !s3aJars || s3aJars.length === 0) {
    throw new ConfigError(
      'this run reads or writes S3, but the local launcher has no S3 settings or S3A jars: set SLUICE_S3_REGION (and SLUICE_S3_ENDPOINT for MinIO) and run scripts/setup, which fetches the jars',
    );
  }
  return { jars: s3aJars, ...s3Access(options.s3, spec)! };
}

/**
 * What any local run that uses S3 needs, jars aside: Spark's settings, the variables of the
 * app's own S3 client (the embedded engine reads and writes through it alone), and the keys.
 */
export function s3Access(s3: S3Settings | undefined, spec: SparkRunSpec): Omit<S3Submit, 'jars'> | undefined {
  if (!usesS3(spec)) return undefined;
  if (!s3) throw new ConfigError('this run reads or writes S3, but the launcher has no S3 settings: set SLUICE_S3_REGION (and SLUICE_S3_ENDPOINT for MinIO)');
  const { conf, env } = s3aSettings(s3);
  const secretEnv: Record<string, string> = {};
  if (s3.accessKeyId && s3.secretAccessKey) {
    conf['spark.hadoop.fs.s3a.aws.credentials.provider'] = S3A_ENV_CREDENTIALS_PROVIDER;
    secretEnv.AWS_ACCESS_KEY_ID = s3.accessKeyId;
    secretEnv.AWS_SECRET_ACCESS_KEY = s3.secretAccessKey;
  }
  // Without keys: S3A's and pyarrow's default chains (environment, web identity, instance role).
  return { conf, env, secretEnv };
}

/**
 * Endpoint, region and addressing for Spark (spark.hadoop.fs.s3a.*) and for the app's own S3
 * client (variables), without any key: what a run's spec or pod may show. A launcher adds the
 * keys its own way (a child's environment, a Secret reference).
 */
export function s3aSettings(s3: S3Settings): { conf: Record<string, string>; env: Record<string, string> } {
  const conf: Record<string, string> = {
    'spark.hadoop.fs.s3a.endpoint.region': s3.region,
    'spark.hadoop.fs.s3a.path.style.access': String(s3.forcePathStyle),
  };
  const env: Record<string, string> = { AWS_REGION: s3.region, SLUICE_S3_PATH_STYLE: String(s3.forcePathStyle) };
  if (s3.endpoint) {
    conf['spark.hadoop.fs.s3a.endpoint'] = s3.endpoint;
    conf['spark.hadoop.fs.s3a.connection.ssl.enabled'] = String(new URL(s3.endpoint).protocol === 'https:');
    // Read by pyarrow's S3FileSystem (Arrow 15+) as by the AWS CLI and SDKs.
    env.AWS_ENDPOINT_URL = s3.endpoint;
  }
  return { conf, env };
}

/** Every jar exists: a missing one is a broker that was not set up (ConfigError naming the fix), not a failed run. */
export async function checkS3aJars(jars: readonly string[]): Promise<void> {
  for (const jar of jars) {
    await access(jar).catch((error: unknown) => {
      throw new ConfigError(`the S3A jar ${jar} is missing: run scripts/setup (it fetches the versions pinned in scripts/versions.env)`, { cause: error });
    });
  }
}
