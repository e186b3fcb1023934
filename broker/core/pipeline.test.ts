import { describe, expect, it } from 'vitest';
import { PipelineSchema } from './pipeline.ts';

// A minimal valid group-by pipeline; each test changes one thing.
const base = () => ({
  name: 'daily-orders',
  input: { columns: { region: 'string', amount: 'double', ts: 'timestamp' } },
  transform: {
    derive: { day: 'to_date(ts)' },
    group_by: ['region', 'day'],
    metrics: [
      { name: 'orders', fn: 'count' },
      { name: 'amount_sum', fn: 'sum', column: 'amount' },
    ],
  },
  outputs: { lake: { table: 'orders_daily' } },
});

/** The issues of a failed parse as "path: message" lines, so that a test can look for a path. */
function issues(input: unknown): { path: string; message: string }[] {
  const result = PipelineSchema.safeParse(input);
  expect(result.success, 'expected the pipeline to be refused').toBe(false);
  return result.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

describe('PipelineSchema', () => {
  it('accepts a minimal pipeline and fills engine and policy defaults', () => {
    const pipeline = PipelineSchema.parse(base());
    expect(pipeline.engine).toMatchObject({ launcher: 'local', app: 'aggregate', driver_memory: '1g', executor_memory: '1g', cores: 2, conf: {} });
    // The Kubernetes launchers' sizes, filled in for every pipeline (a local run ignores them).
    expect(pipeline.engine).toMatchObject({
      service_account: 'spark',
      driver: { cores: 1, memory: '1g' },
      executor: { instances: 2, cores: 1, memory: '1g' },
      dynamic_allocation: { enabled: false, min: 0, max: 10 },
      env: [],
      volumes: [],
    });
    expect(pipeline.policy.max_attempts).toBe(3);
    expect(pipeline.policy.backoff).toEqual({ initial: 5_000, max: 300_000, factor: 2 });
    expect(pipeline.policy.timeouts).toEqual({ queued: 86_400_000, launching: 120_000, running: 7_200_000, loading: 1_800_000 });
    expect(pipeline.policy.concurrency).toBe(4);
    expect(pipeline.input.format).toBe('parquet');
    expect(pipeline.input.paths).toEqual([]);
    expect(pipeline.parameters).toEqual({});
    expect(pipeline.description).toBe('');
  });

  it('fills the defaults of a partly written policy and parses its durations', () => {
    const pipeline = PipelineSchema.parse({ ...base(), policy: { backoff: { initial: '2s' }, timeouts: { running: '1h' } } });
    expect(pipeline.policy.backoff).toEqual({ initial: 2_000, max: 300_000, factor: 2 });
    expect(pipeline.policy.timeouts).toEqual({ queued: 86_400_000, launching: 120_000, running: 3_600_000, loading: 1_800_000 });
    expect(pipeline.policy.max_attempts).toBe(3);
  });

  it('takes "none" as no queued timeout, and refuses it for the stages that hold a run', () => {
    expect(PipelineSchema.parse({ ...base(), policy: { timeouts: { queued: 'none' } } }).policy.timeouts.queued).toBeNull();
    expect(PipelineSchema.parse({ ...base(), policy: { timeouts: { queued: '30m' } } }).policy.timeouts.queued).toBe(1_800_000);
    for (const stage of ['launching', 'running', 'loading']) {
      expect(PipelineSchema.safeParse({ ...base(), policy: { timeouts: { [stage]: 'none' } } }).success).toBe(false);
    }
    expect(PipelineSchema.safeParse({ ...base(), policy: { timeouts: { queued: 'never' } } }).success).toBe(false);
  });

  it('accepts a SQL transform', () => {
    const pipeline = PipelineSchema.parse({ ...base(), transform: { sql: 'SELECT region FROM landing' } });
    expect(pipeline.transform).toEqual({ sql: 'SELECT region FROM landing' });
  });

  it('refuses a group_by key that names no input or derived column, with its index in the path', () => {
    const found = issues({ ...base(), transform: { ...base().transform, group_by: ['region', 'country'] } });
    expect(found).toEqual([{ path: 'transform.group_by.1', message: expect.stringContaining('"country"') }]);
  });

  it('refuses a metric column that names no input or derived column', () => {
    const transform = { ...base().transform, metrics: [{ name: 'orders', fn: 'count' }, { name: 'x', fn: 'max', column: 'price' }] };
    expect(issues({ ...base(), transform })).toEqual([{ path: 'transform.metrics.1.column', message: expect.stringContaining('"price"') }]);
  });

  it('lets a metric use a derived column', () => {
    const transform = { ...base().transform, metrics: [{ name: 'days', fn: 'count_distinct', column: 'day' }] };
    expect(PipelineSchema.safeParse({ ...base(), transform }).success).toBe(true);
  });

  it('refuses approx_percentile without a percentile', () => {
    const transform = { ...base().transform, metrics: [{ name: 'p95', fn: 'approx_percentile', column: 'amount' }] };
    expect(issues({ ...base(), transform }).map((issue) => issue.path)).toContain('transform.metrics.0.percentile');
  });

  it('accepts approx_percentile with a percentile between 0 and 1, and refuses 1', () => {
    const metric = { name: 'p95', fn: 'approx_percentile', column: 'amount', percentile: 0.95 };
    expect(PipelineSchema.safeParse({ ...base(), transform: { ...base().transform, metrics: [metric] } }).success).toBe(true);
    const whole = { ...metric, percentile: 1 };
    expect(issues({ ...base(), transform: { ...base().transform, metrics: [whole] } }).map((issue) => issue.path)).toContain('transform.metrics.0.percentile');
  });

  it.each(['sum', 'avg', 'min', 'max', 'count_distinct'])('refuses %s without a column', (fn) => {
    const transform = { ...base().transform, metrics: [{ name: 'm', fn }] };
    expect(issues({ ...base(), transform })).toContainEqual({ path: 'transform.metrics.0.column', message: `${fn} needs a column` });
  });

  it('refuses unknown fields at every level', () => {
    expect(issues({ ...base(), retries: 3 })).toContainEqual(expect.objectContaining({ path: '' }));
    expect(issues({ ...base(), engine: { memory: '2g' } }).map((issue) => issue.path)).toContain('engine');
    expect(issues({ ...base(), policy: { backoff: { intial: '1s' } } }).map((issue) => issue.path)).toContain('policy.backoff');
    const transform = { ...base().transform, metrics: [{ name: 'orders', fn: 'count', col: 'x' }] };
    expect(issues({ ...base(), transform }).every((issue) => issue.path.startsWith('transform'))).toBe(true);
  });

  it('names the unknown key', () => {
    const found = issues({ ...base(), retries: 3 });
    expect(found.map((issue) => issue.message).join('\n')).toContain('retries');
  });

  it.each(['Daily-orders', 'daily orders', '1daily', '', 'a'.repeat(64)])('refuses the pipeline name %j', (name) => {
    expect(issues({ ...base(), name }).map((issue) => issue.path)).toEqual(['name']);
  });

  it('refuses a lake table name with uppercase letters', () => {
    expect(issues({ ...base(), outputs: { lake: { table: 'Orders' } } }).map((issue) => issue.path)).toEqual(['outputs.lake.table']);
  });

  it('refuses a spark conf key that does not start with spark.', () => {
    const found = issues({ ...base(), engine: { conf: { 'spark.sql.shuffle.partitions': '8', 'hadoop.fs.s3a.endpoint': 'x' } } });
    expect(found.map((issue) => issue.path)).toEqual(['engine.conf.hadoop.fs.s3a.endpoint']);
  });

  it('refuses a spark conf key Sluice sets for each run, saying which engine field to use', () => {
    const found = issues({ ...base(), engine: { conf: { 'spark.sql.shuffle.partitions': '8', 'spark.kubernetes.namespace': 'other-team', 'spark.driver.memory': '8g', 'spark.kubernetes.driver.pod.name': 'mine' } } });
    expect(found).toEqual([
      { path: 'engine.conf.spark.kubernetes.namespace', message: 'cannot be set in engine.conf: use engine.namespace' },
      { path: 'engine.conf.spark.driver.memory', message: expect.stringMatching(/use engine\.driver_memory \(local runs\) or engine\.driver\.memory/) },
      { path: 'engine.conf.spark.kubernetes.driver.pod.name', message: expect.stringMatching(/Sluice sets it for each run/) },
    ]);
  });

  it('refuses an unknown column type', () => {
    const found = issues({ ...base(), input: { columns: { region: 'varchar' } } });
    expect(found.map((issue) => issue.path)).toContain('input.columns.region');
  });

  it('refuses a parameter default that does not have the declared type', () => {
    const found = issues({ ...base(), parameters: { min_amount: { type: 'number', default: '5' } } });
    expect(found).toEqual([{ path: 'parameters.min_amount.default', message: expect.stringContaining('number') }]);
    expect(PipelineSchema.safeParse({ ...base(), parameters: { min_amount: { type: 'number', default: 5 } } }).success).toBe(true);
  });

  it('refuses a policy out of range', () => {
    expect(issues({ ...base(), policy: { max_attempts: 0 } }).map((issue) => issue.path)).toEqual(['policy.max_attempts']);
    expect(issues({ ...base(), policy: { backoff: { initial: 'soon' } } }).map((issue) => issue.path)).toEqual(['policy.backoff.initial']);
  });
});

describe('output column names', () => {
  it('rejects a metric named like a group-by key or another metric, with its path', () => {
    const result = PipelineSchema.safeParse({
      name: 'dupes',
      input: { columns: { site: 'string', kwh: 'double' } },
      transform: { group_by: ['site'], metrics: [{ name: 'total', fn: 'sum', column: 'kwh' }, { name: 'total', fn: 'count' }, { name: 'site', fn: 'count' }] },
      outputs: { lake: { table: 'dupes' } },
    });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((issue) => issue.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['transform.metrics.1.name', 'transform.metrics.2.name']));
  });
});

describe('engine.conf', () => {
  it.each([
    'spark.hadoop.fs.s3a.secret.key',
    'spark.hadoop.fs.azure.account.key.lakeacct.dfs.core.windows.net',
    'spark.hadoop.fs.azure.sas.landing.lakeacct.blob.core.windows.net',
    'spark.hadoop.fs.gs.auth.service.account.private.key',
    'spark.hadoop.fs.s3a.server-side-encryption.key',
  ])('refuses %s, which holds a secret, naming its path', (setting) => {
    const result = PipelineSchema.safeParse({ ...base(), engine: { conf: { [setting]: 'x' } } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path.join('.')).toBe(`engine.conf.${setting}`);
    expect(result.error!.issues[0]!.message).toMatch(/secrets come from the environment/);
  });

  it('takes settings that only name a key or an account', () => {
    const conf = { 'spark.hadoop.fs.s3a.server-side-encryption-algorithm': 'SSE-KMS', 'spark.hadoop.fs.azure.account.auth.type': 'OAuth', 'spark.sql.shuffle.partitions': '8' };
    expect(PipelineSchema.safeParse({ ...base(), engine: { conf } }).success).toBe(true);
  });
});

describe('outputs.sql', () => {
  const withSql = (sql: unknown) => ({ ...base(), outputs: { ...base().outputs, sql } });
  const issues = (sql: unknown) => {
    const result = PipelineSchema.safeParse(withSql(sql));
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };

  it('accepts one table or several, defaulting to merge', () => {
    const parsed = PipelineSchema.parse(withSql({ connection: 'reporting', table: 'dbo.MeterDaily', keys: ['region'] }));
    expect(parsed.outputs.sql).toMatchObject({ mode: 'merge', partition_by: [] });
    expect(issues([{ connection: 'a', table: 't1', keys: ['region'] }, { connection: 'a', table: 't2', mode: 'append' }])).toEqual([]);
  });

  it('refuses a table name that could smuggle SQL, and a column named like a]b, at load', () => {
    expect(issues({ connection: 'r', table: 'dbo.T; DROP TABLE x', keys: ['region'] })).toEqual([expect.stringMatching(/^outputs\.sql\.table: must be "table" or "schema\.table"/)]);
    expect(issues({ connection: 'r', table: 't', keys: ['a]b'] })[0]).toMatch(/^outputs\.sql\.keys\.0: must be a plain column name/);
  });

  it('needs keys to merge and partition columns to replace partitions, all of them output columns', () => {
    expect(issues({ connection: 'r', table: 't' })).toEqual(['outputs.sql.keys: merge needs the key columns it merges on']);
    expect(issues({ connection: 'r', table: 't', mode: 'replace-partitions' })).toEqual(['outputs.sql.partition_by: replace-partitions needs the columns that name a partition']);
    expect(issues({ connection: 'r', table: 't', keys: ['meter'] })).toEqual(['outputs.sql.keys.0: "meter" is not an output column of the transform']);
    expect(issues([{ connection: 'r', table: 't', keys: ['region'] }, { connection: 'r', table: 't', mode: 'append' }])).toEqual(['outputs.sql.1.table: "r:t" is loaded twice']);
  });

  describe('engine for Kubernetes', () => {
    const k8s = (engine: Record<string, unknown>) => ({ ...base(), engine: { launcher: 'k8s-operator', ...engine } });
    const issues = (input: unknown) => {
      const result = PipelineSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    };

    it('accepts the settings a platform engineer writes, secrets by reference', () => {
      const pipeline = PipelineSchema.parse(
        k8s({
          namespace: 'analytics',
          image: 'registry.example/sluice-spark:4.0',
          service_account: 'spark',
          driver: { cores: 1, memory: '2g' },
          executor: { instances: 4, cores: 2, memory: '8g' },
          dynamic_allocation: { enabled: true, min: 2, max: 20 },
          env: [{ name: 'AWS_ACCESS_KEY_ID', secret: { name: 'lake-creds', key: 'access-key' } }, { name: 'TZ', value: 'UTC' }],
          volumes: [{ claim: 'harp-landing', mount: '/landing/harp' }],
          pod_template: { node_selector: { pool: 'spark' }, tolerations: [{ key: 'spark', operator: 'Exists', effect: 'NoSchedule' }] },
        }),
      );
      expect(pipeline.engine.launcher).toBe('k8s-operator');
      expect(pipeline.engine.volumes).toEqual([{ claim: 'harp-landing', mount: '/landing/harp', read_only: true }]);
      expect(pipeline.engine.executor).toEqual({ instances: 4, cores: 2, memory: '8g' });
    });

    it('refuses what would fail in the cluster, naming the field', () => {
      expect(issues(k8s({ driver: { memory: '8' } }))).toEqual(['engine.driver.memory: must be a JVM size with a unit, such as 1g or 512m']);
      expect(issues(k8s({ executor: { instances: -1 } }))).toEqual(['engine.executor.instances: must be at least 1']);
      expect(issues({ ...base(), engine: { launcher: 'yarn' } })[0]).toMatch(/^engine\.launcher: /);
      expect(issues(k8s({ namespace: 'Analytics' }))[0]).toMatch(/^engine\.namespace: must be a Kubernetes name/);
      expect(issues(k8s({ dynamic_allocation: { enabled: true, min: 30, max: 20 } }))).toEqual(['engine.dynamic_allocation.min: must not exceed max (20)']);
      expect(issues(k8s({ volumes: [{ claim: 'a', mount: 'landing' }] }))).toEqual(['engine.volumes.0.mount: must be an absolute path']);
      expect(issues(k8s({ volumes: [{ claim: 'a', mount: '/l' }, { claim: 'b', mount: '/l' }] }))).toEqual(['engine.volumes.1.mount: /l is mounted twice']);
    });

    it('takes no secret as a value: only as a reference to a Kubernetes Secret', () => {
      expect(issues(k8s({ env: [{ name: 'AWS_SECRET_ACCESS_KEY', value: 'abc' }] }))).toEqual([
        'engine.env.0.value: AWS_SECRET_ACCESS_KEY looks like a secret: give it as secret: { name, key } (a Kubernetes Secret), never as a value',
      ]);
      expect(issues(k8s({ env: [{ name: 'TZ' }] }))).toEqual(['engine.env.0: needs exactly one of value and secret']);
    });
  });
});
