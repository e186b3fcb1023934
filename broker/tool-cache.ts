// Where scripts/setup puts the tools it builds or downloads, at the versions pinned in
// scripts/versions.env: one reader of that file and of the cache folder rule for the broker
// (the S3A jars spark-submit needs) and the test harness (the MinIO binary), so the paths
// cannot drift from what scripts/setup writes.
//
//   ${XDG_CACHE_HOME:-$HOME/.cache}/sluice/
//     minio-<MINIO_VERSION>/minio
//     jars-hadoop-aws-<HADOOP_AWS_VERSION>-awssdk-<AWS_SDK_BUNDLE_VERSION>/{hadoop-aws-<v>.jar, bundle-<v>.jar}
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './core/errors.ts';

/** scripts/versions.env of this checkout. */
const VERSIONS_FILE = fileURLToPath(new URL('../scripts/versions.env', import.meta.url));

/** The variables of a versions file: plain KEY=VALUE lines, `#` comments and blank lines skipped. */
function pinnedVersions(file = VERSIONS_FILE): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(\S+)\s*$/.exec(line);
    if (match) versions[match[1]!] = match[2]!;
  }
  return versions;
}

/** One pinned version; a ConfigError naming the file when it is not there. */
function pinnedVersion(name: string, file = VERSIONS_FILE): string {
  const version = pinnedVersions(file)[name];
  if (version === undefined) throw new ConfigError(`${file} has no ${name}= line`);
  return version;
}

/** Only the variables the cache rule reads; callers pass their environment (config.childProcessEnv() in the broker). */
export type CacheEnv = { XDG_CACHE_HOME?: string | undefined; HOME?: string | undefined };

/** `${XDG_CACHE_HOME:-$HOME/.cache}/sluice`, as scripts/setup computes CACHE (an empty XDG_CACHE_HOME counts as unset). */
function toolCacheDir(env: CacheEnv): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'sluice');
}

/** The MinIO binary scripts/setup builds. */
export function minioBinaryPath(env: CacheEnv, file = VERSIONS_FILE): string {
  const version = pinnedVersion('MINIO_VERSION', file);
  return join(toolCacheDir(env), `minio-${version}`, 'minio');
}

/**
 * The jars Spark needs for s3a:// — hadoop-aws (matching PySpark's Hadoop) and the AWS SDK v2
 * bundle it was built against — in the order spark-submit's `--jars` takes them. The files
 * exist once scripts/setup has run; this only names them.
 */
export function s3aJarPaths(env: CacheEnv, file = VERSIONS_FILE): string[] {
  const hadoopAws = pinnedVersion('HADOOP_AWS_VERSION', file);
  const sdkBundle = pinnedVersion('AWS_SDK_BUNDLE_VERSION', file);
  const dir = join(toolCacheDir(env), `jars-hadoop-aws-${hadoopAws}-awssdk-${sdkBundle}`);
  return [join(dir, `hadoop-aws-${hadoopAws}.jar`), join(dir, `bundle-${sdkBundle}.jar`)];
}
