// The local launcher's command line, without running it: engine settings, the core cap, and
// what an S3 run adds (and keeps out of argv).
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { PipelineSchema } from '../core/pipeline.ts';
import { buildRunSpec } from '../core/run-spec.ts';
import { sparkSubmitArgs } from './local-submit-args.ts';

const pipeline = PipelineSchema.parse({
  name: 'daily-orders',
  input: { columns: { region: 'string', amount: 'double' } },
  transform: { group_by: ['region'], metrics: [{ name: 'total', fn: 'sum', column: 'amount' }] },
  outputs: { lake: { table: 'orders' } },
  engine: { cores: 4, driver_memory: '2g', conf: { 'spark.sql.shuffle.partitions': '4', 'spark.ui.enabled': 'true' } },
});
const spec = buildRunSpec({ pipeline, jobId: 'j1', attempt: 2, inputs: [], parameters: {}, runUri: 'file:///lake/orders/run=j1-2' });

describe('spark-submit arguments of a local run', () => {
  it('builds the spark-submit command from the pipeline, capped by the local cores', () => {
    const args = sparkSubmitArgs(
      { sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, env: { JAVA_HOME: '/jdk' } },
      { jobId: 'j1', attempt: 2, pipeline, spec },
      'j1-2',
      '/runs/j1-2/spec.json',
    );
    expect(args).toEqual([
      'env', 'PYSPARK_PYTHON=/opt/venv/bin/python', 'SPARK_LOCAL_IP=127.0.0.1', 'JAVA_HOME=/jdk',
      '/opt/venv/bin/spark-submit', '--master', 'local[2]', '--name', 'sluice-j1-2', '--driver-memory', '2g',
      '--conf', 'spark.ui.enabled=true', '--conf', 'spark.sql.shuffle.partitions=4',
      '/apps/run_aggregate.py', '--spec', '/runs/j1-2/spec.json',
    ]);
  });

  it('gives an S3 run the S3A jars and settings, with the keys kept out of argv', () => {
    const s3 = { endpoint: 'http://127.0.0.1:9000', region: 'eu-west-1', accessKeyId: 'AKID', secretAccessKey: 'SECRET', forcePathStyle: true };
    const options = { sparkSubmit: '/opt/venv/bin/spark-submit', sparkAppsDir: '/apps', localCores: 2, s3, s3aJars: ['/jars/hadoop-aws.jar', '/jars/bundle.jar'] };
    const s3Spec = { ...spec, inputs: ['s3://landing/a.parquet'], output: { table: 'orders', run_uri: 's3a://lake/orders/run=j1-2' } };
    const args = sparkSubmitArgs(options, { jobId: 'j1', attempt: 2, pipeline, spec: s3Spec }, 'j1-2', '/runs/j1-2/spec.json');
    expect(args.slice(args.indexOf('--jars'), args.indexOf('--jars') + 2)).toEqual(['--jars', '/jars/hadoop-aws.jar,/jars/bundle.jar']);
    expect(args).toEqual(expect.arrayContaining([
      'AWS_REGION=eu-west-1', 'AWS_ENDPOINT_URL=http://127.0.0.1:9000', 'SLUICE_S3_PATH_STYLE=true',
      'spark.hadoop.fs.s3a.endpoint=http://127.0.0.1:9000', 'spark.hadoop.fs.s3a.endpoint.region=eu-west-1',
      'spark.hadoop.fs.s3a.path.style.access=true', 'spark.hadoop.fs.s3a.connection.ssl.enabled=false',
      'spark.hadoop.fs.s3a.aws.credentials.provider=software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider',
    ]));
    expect(args.join(' ')).not.toMatch(/AKID|SECRET/);
    // A run on local files gets neither the jars nor the settings.
    const local = sparkSubmitArgs(options, { jobId: 'j1', attempt: 2, pipeline, spec }, 'j1-2', '/runs/j1-2/spec.json');
    expect(local.join(' ')).not.toMatch(/--jars|s3a|AWS_/);
    // An S3 run on a launcher without S3 settings is a configuration error, refused rather than started to fail.
    const refused = () => sparkSubmitArgs({ ...options, s3aJars: [] }, { jobId: 'j1', attempt: 2, pipeline, spec: s3Spec }, 'j1-2', '/x');
    expect(refused).toThrow(ConfigError);
    expect(refused).toThrow(/no S3 settings or S3A jars: set SLUICE_S3_REGION .* run scripts\/setup/);
  });
});
