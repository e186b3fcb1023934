import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
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
