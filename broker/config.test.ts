import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, unknownSettings } from './config.ts';
import { ConfigError } from './core/errors.ts';

function configError(env: Record<string, string>): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe('loadConfig', () => {
  it('has a default for every setting', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      SLUICE_REDIS_URL: 'redis://127.0.0.1:6379',
      SLUICE_QUEUE_PREFIX: 'sluice',
      SLUICE_PIPELINES_DIR: resolve('examples/pipelines'),
      SLUICE_LAKE_URI: pathToFileURL(resolve('.sluice/lake')).href,
      SLUICE_LANDING_ROOTS: [resolve('.sluice/landing')],
      SLUICE_RUNS_DIR: resolve('.sluice/runs'),
      SLUICE_SPARK_SUBMIT: resolve('.venv/bin/spark-submit'),
      SLUICE_API_HOST: '127.0.0.1',
      SLUICE_API_PORT: 8080,
      SLUICE_METRICS_HOST: '127.0.0.1',
      SLUICE_METRICS_PORT: 9464,
      SLUICE_API_KEYS: [],
      SLUICE_BODY_LIMIT: 1_000_000,
      SLUICE_MAX_RUNNING: 4,
      SLUICE_WORKER_CONCURRENCY: 16,
      SLUICE_AWAIT_POLL: 5_000,
      SLUICE_SHUTDOWN_GRACE: 30_000,
      SLUICE_RETENTION: 7 * 86_400_000,
      SLUICE_LOG_LEVEL: 'info',
      SLUICE_URL: 'http://127.0.0.1:8080',
    });
    expect(config.SLUICE_API_KEY).toBeUndefined();
  });

  it('parses numbers, units, lists and paths', () => {
    const config = loadConfig({
      SLUICE_API_PORT: '9090',
      SLUICE_AWAIT_POLL: '2s',
      SLUICE_SHUTDOWN_GRACE: '1500',
      SLUICE_BODY_LIMIT: '2MiB',
      SLUICE_API_KEYS: 'a:read:00, b:admin:11 ,',
      SLUICE_LANDING_ROOTS: '/data/landing:relative/landing',
      SLUICE_SPARK_SUBMIT: 'spark-submit',
      SLUICE_LOG_LEVEL: 'debug',
    });
    expect(config.SLUICE_API_PORT).toBe(9090);
    expect(config.SLUICE_AWAIT_POLL).toBe(2_000);
    expect(config.SLUICE_SHUTDOWN_GRACE).toBe(1_500);
    expect(config.SLUICE_BODY_LIMIT).toBe(2_097_152);
    expect(config.SLUICE_API_KEYS).toEqual(['a:read:00', 'b:admin:11']);
    expect(config.SLUICE_LANDING_ROOTS).toEqual(['/data/landing', resolve('relative/landing')]);
    expect(config.SLUICE_SPARK_SUBMIT).toBe('spark-submit');
    expect(config.SLUICE_LOG_LEVEL).toBe('debug');
  });

  it.each([
    ['SLUICE_API_PORT', 'abc'],
    ['SLUICE_API_PORT', '70000'],
    ['SLUICE_API_PORT', '80.5'],
    ['SLUICE_API_PORT', ' '],
    ['SLUICE_API_PORT', '0x50'],
    ['SLUICE_METRICS_PORT', 'none'],
    ['SLUICE_METRICS_PORT', '65536'],
    ['SLUICE_MAX_RUNNING', '0'],
    ['SLUICE_WORKER_CONCURRENCY', '-1'],
    ['SLUICE_AWAIT_POLL', 'soon'],
    ['SLUICE_RETENTION', '7 days'],
    ['SLUICE_BODY_LIMIT', 'huge'],
    ['SLUICE_LOG_LEVEL', 'loud'],
    ['SLUICE_REDIS_URL', 'not a url'],
    ['SLUICE_QUEUE_PREFIX', 'Sluice'],
    ['SLUICE_URL', 'localhost'],
    ['SLUICE_S3_LANDING_ROOTS', 's3://Bad_Bucket/x'],
    ['SLUICE_S3_LANDING_ROOTS', 's3://landing/a/../b'],
    ['SLUICE_S3_LANDING_ROOTS', '/data/landing'],
  ])('refuses %s=%j, naming the variable', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message).toMatch(new RegExp(`^ {2}${name}: `, 'm'));
  });

  it('reads the metrics port: a number, 0 for any free port, or off for none', () => {
    expect(loadConfig({ SLUICE_METRICS_PORT: '9100' }).SLUICE_METRICS_PORT).toBe(9100);
    expect(loadConfig({ SLUICE_METRICS_PORT: '0' }).SLUICE_METRICS_PORT).toBe(0);
    expect(loadConfig({ SLUICE_METRICS_PORT: 'off' }).SLUICE_METRICS_PORT).toBeNull();
  });

  it('parses S3 landing roots as folders', () => {
    expect(loadConfig({}).SLUICE_S3_LANDING_ROOTS).toEqual([]);
    expect(loadConfig({ SLUICE_S3_LANDING_ROOTS: 's3://landing/harp, s3://inbox/, s3://drop/a/b/' }).SLUICE_S3_LANDING_ROOTS).toEqual([
      { bucket: 'landing', prefix: 'harp/' },
      { bucket: 'inbox', prefix: '' },
      { bucket: 'drop', prefix: 'a/b/' },
    ]);
  });

  it('names every wrong setting at once', () => {
    const error = configError({ SLUICE_API_PORT: 'abc', SLUICE_LOG_LEVEL: 'loud' });
    expect(error.message).toContain('SLUICE_API_PORT');
    expect(error.message).toContain('SLUICE_LOG_LEVEL');
  });

  it('quotes a wrong duration', () => {
    expect(configError({ SLUICE_AWAIT_POLL: 'soon' }).message).toContain('"soon"');
  });

  it('refuses a duration whose unit was left out, rather than read 7 days as 7 milliseconds', () => {
    // Read as milliseconds, this retention would remove every finished job the moment it ended.
    expect(configError({ SLUICE_RETENTION: '7' }).message).toContain('SLUICE_RETENTION: "7" has no unit and would be 7 milliseconds: write its unit, as in 7s, 7m or 7ms');
    expect(loadConfig({ SLUICE_RETENTION: '7d' }).SLUICE_RETENTION).toBe(7 * 86_400_000);
  });

  it('is frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { SLUICE_API_PORT: number }).SLUICE_API_PORT = 1;
    }).toThrow(TypeError);
  });

  it('counts an empty string as unset', () => {
    const config = loadConfig({ SLUICE_API_PORT: '', SLUICE_LOG_LEVEL: '', SLUICE_AWAIT_POLL: '', SLUICE_API_KEY: '', SLUICE_PIPELINES_DIR: '' });
    expect(config.SLUICE_API_PORT).toBe(8080);
    expect(config.SLUICE_LOG_LEVEL).toBe('info');
    expect(config.SLUICE_AWAIT_POLL).toBe(5_000);
    expect(config.SLUICE_API_KEY).toBeUndefined();
    expect(config.SLUICE_PIPELINES_DIR).toBe(resolve('examples/pipelines'));
  });

  it('ignores variables it does not know', () => {
    const config = loadConfig({ PATH: '/usr/bin', SLUICE_SOMETHING: 'x' });
    expect(config).not.toHaveProperty('PATH');
    expect(config).not.toHaveProperty('SLUICE_SOMETHING');
  });
});

describe('the Redis URL', () => {
  it.each([
    ['redis:6379', /names no host/],
    ['sluice-redis:6379', /must be redis:\/\/\[:password@\]host/],
    ['http://redis:6379', /must be redis:\/\//],
    ['redis://:Sup3rSecret@redis:6379/zero', /the database after the host must be a number/],
    ['redis://:Sup3rSecret%zz@redis:6379', /badly escaped password/],
    ['redis://:Sup3r#Secret@redis:6379', /cannot be parsed as a URL/],
    ['redis://:Sup3rSecret@redis:6379/0?db=1', /"\?" or "#" part that would be ignored/],
  ])('refuses %j, which would connect elsewhere than meant (127.0.0.1 for a host:port), without echoing it', (url, message) => {
    const error = configError({ SLUICE_REDIS_URL: url });
    expect(error.message).toMatch(new RegExp(`^ {2}SLUICE_REDIS_URL: .*${message.source}`, 'm'));
    expect(error.message).not.toContain('Sup3r');
    expect(error.message).not.toContain(url);
  });

  it.each(['redis://127.0.0.1:6379', 'redis://:p%40ss@redis.internal:6379/2', 'rediss://loader:pw@redis.internal:6380', 'redis://redis'])('takes %j', (url) => {
    expect(loadConfig({ SLUICE_REDIS_URL: url }).SLUICE_REDIS_URL).toBe(url);
  });
});

describe('http URLs: SLUICE_URL, SLUICE_S3_ENDPOINT, SLUICE_WEBHOOK_LINK_BASE', () => {
  it.each([
    ['SLUICE_URL', 'localhost:8080'],
    ['SLUICE_URL', 'sluice.internal:8080'],
    ['SLUICE_S3_ENDPOINT', 'minio:9000'],
    ['SLUICE_WEBHOOK_LINK_BASE', 'sluice.example.com:443'],
  ])('refuses %s=%j (a host:port reads as a URL of scheme "host:")', (name, value) => {
    expect(configError({ [name]: value }).message).toMatch(new RegExp(`^ {2}${name}: must be an http:// or https:// URL`, 'm'));
  });

  it.each(['SLUICE_URL', 'SLUICE_S3_ENDPOINT', 'SLUICE_WEBHOOK_LINK_BASE'])('refuses user:password@ in %s without echoing the password', (name) => {
    const error = configError({ [name]: 'https://admin:Sup3rSecret@sluice.example.com' });
    expect(error.message).toMatch(new RegExp(`^ {2}${name}: must not hold user:password@`, 'm'));
    expect(error.message).not.toContain('Sup3rSecret');
  });
});

describe('the lake URI', () => {
  it.each([
    ['/data/lake', /must be file:\/\/\/absolute\/folder or s3:\/\/bucket\/prefix/],
    ['file://data/lake', /three slashes/],
    ['s3a://lake/runs', /write the lake as s3:\/\//],
    ['s3://Lake_Bucket/runs', /"Lake_Bucket" is not a valid S3 bucket name/],
  ])('refuses %j at start-up, naming SLUICE_LAKE_URI (not later, with the connections open)', (uri, message) => {
    expect(configError({ SLUICE_LAKE_URI: uri }).message).toMatch(new RegExp(`^ {2}SLUICE_LAKE_URI: .*${message.source}`, 'm'));
  });

  it.each(['file:///data/lake', 's3://lake/', 's3://lake/sluice/runs'])('takes %j', (uri) => {
    expect(loadConfig({ SLUICE_LAKE_URI: uri }).SLUICE_LAKE_URI).toBe(uri);
  });
});

describe('other settings a slip would turn into something else', () => {
  it('refuses landing roots separated by "," (one folder of two) or none at all', () => {
    expect(configError({ SLUICE_LANDING_ROOTS: '/data/landing,/mnt/share' }).message).toMatch(/^ {2}SLUICE_LANDING_ROOTS: separate folders with ":"/m);
    expect(configError({ SLUICE_LANDING_ROOTS: ':' }).message).toMatch(/^ {2}SLUICE_LANDING_ROOTS: name at least one folder/m);
  });

  it.each(['SLUICE_RETENTION', 'SLUICE_AWAIT_POLL', 'SLUICE_UI_SESSION_TTL', 'SLUICE_K8S_RESYNC', 'SLUICE_K8S_WATCH_QUIET'])('refuses %s=0, which would not mean "off" but "at once"', (name) => {
    expect(configError({ [name]: '0' }).message).toMatch(new RegExp(`^ {2}${name}: must be more than 0`, 'm'));
    expect(configError({ [name]: '0s' }).message).toMatch(new RegExp(`^ {2}${name}: must be more than 0`, 'm'));
  });

  it.each([
    ['SLUICE_API_HOST', '0.0.0.0:8080', 'SLUICE_API_PORT'],
    ['SLUICE_API_HOST', 'http://0.0.0.0', 'SLUICE_API_PORT'],
    ['SLUICE_METRICS_HOST', '[::]', 'SLUICE_METRICS_PORT'],
  ])('refuses %s=%j, which listen() would look up as a host name and fail on with a stack trace', (name, value, port) => {
    expect(configError({ [name]: value }).message).toContain(`  ${name}: must be a host name or an IP address, without a scheme or port (the port is ${port}; IPv6 without brackets)`);
  });

  it.each(['0.0.0.0', '::', '::1', 'localhost', 'sluice-api.internal'])('takes the host %j to listen on', (host) => {
    expect(loadConfig({ SLUICE_API_HOST: host, SLUICE_METRICS_HOST: host })).toMatchObject({ SLUICE_API_HOST: host, SLUICE_METRICS_HOST: host });
  });

  it('says what the metrics port takes', () => {
    expect(configError({ SLUICE_METRICS_PORT: 'of' }).message).toContain('SLUICE_METRICS_PORT: must be a port number from 0 to 65535 (0: any free port) or off');
  });
});

describe('unknownSettings', () => {
  it('lists SLUICE_ variables that are no setting, with the setting a misspelt one meant', () => {
    expect(
      unknownSettings({
        PATH: '/usr/bin',
        SLUICE_REDIS_URI: 'redis://elsewhere',
        SLUICE_API_KEYS: 'a:admin:00',
        SLUICE_APIKEYS: 'x',
        SLUICE_SQL_REPORTING_URL: 'postgres://u:p@db/x',
        SLUICE_SQL_reporting_URL: 'postgres://u:p@db/x',
        SLUICE_WEBHOOK_OPS_SECRET: 's',
        SLUICE_BUNDLED_REDIS_PASSWORD: 'p',
        SLUICE_TEST_LOG_LEVEL: 'debug',
        SLUICE_FROBNICATE: '1',
      }),
    ).toEqual([
      { name: 'SLUICE_APIKEYS', meant: 'SLUICE_API_KEYS' },
      { name: 'SLUICE_FROBNICATE' },
      { name: 'SLUICE_REDIS_URI', meant: 'SLUICE_REDIS_URL' },
      { name: 'SLUICE_SQL_reporting_URL', meant: 'SLUICE_SQL_REPORTING_URL' },
    ]);
  });

  it("leaves alone what Kubernetes sets for the namespace's Services (service links), but not a misspelt port", () => {
    expect(
      unknownSettings({
        SLUICE_REDIS_SERVICE_HOST: '10.0.0.7',
        SLUICE_REDIS_SERVICE_PORT: '6379',
        SLUICE_REDIS_SERVICE_PORT_REDIS: '6379',
        SLUICE_REDIS_PORT: 'tcp://10.0.0.7:6379',
        SLUICE_REDIS_PORT_6379_TCP: 'tcp://10.0.0.7:6379',
        SLUICE_REDIS_PORT_6379_TCP_ADDR: '10.0.0.7',
        SLUICE_METRIC_PORT: '9100',
      }),
    ).toEqual([{ name: 'SLUICE_METRIC_PORT', meant: 'SLUICE_METRICS_PORT' }]);
  });
});

describe('SQL connection settings', () => {
  it('collects SLUICE_SQL_<NAME>_URL settings by name', () => {
    const urls = { SLUICE_SQL_REPORTING_URL: 'postgres://u:p@db/reporting', SLUICE_SQL_OPS_DB_URL: 'mssql://u:p@sql/ops', SLUICE_SQL_DW_URL: 'Server=dw;Database=sales;User Id=u;Password=p' };
    expect(loadConfig(urls).sqlUrls).toEqual(urls);
  });

  it('refuses a URL of an unknown kind, naming the setting but not echoing its value (it holds a password)', () => {
    expect(() => loadConfig({ SLUICE_SQL_REPORTING_URL: 'mysql://u:secret@db/x' })).toThrow(/SLUICE_SQL_REPORTING_URL: must start with postgres:\/\/.*or be an ADO string/);
    try {
      loadConfig({ SLUICE_SQL_REPORTING_URL: 'mysql://u:secret@db/x' });
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it.each([
    ['postgres://loader:Sup3rSecret@db:99999/x', /SLUICE_SQL_REPORTING_URL: cannot be parsed as a URL/],
    ['postgres://loader:Sup3rSecret%@db/x', /SLUICE_SQL_REPORTING_URL: has a badly escaped password \(write % as %25\)/],
    ['mssql://loader:Sup3rSecret@sql:1433 1/x', /SLUICE_SQL_REPORTING_URL: cannot be parsed as a URL/],
  ])('refuses a URL that no driver could open (%s) at start-up, without echoing its password', (url, message) => {
    let thrown: unknown;
    try {
      loadConfig({ SLUICE_SQL_REPORTING_URL: url });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).toMatch(message);
    expect(JSON.stringify(thrown, Object.getOwnPropertyNames(thrown))).not.toContain('Sup3rSecret');
  });
});
