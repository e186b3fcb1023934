import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.ts';
import { loadPipelines, parsePipeline } from './load-pipelines.ts';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/pipelines');

const valid = (name: string) => `
name: ${name}
input:
  columns: { region: string, amount: double }
transform:
  group_by: [region]
  metrics:
    - { name: amount_sum, fn: sum, column: amount }
outputs:
  lake: { table: ${name.replace(/-/g, '_')} }
`;

/** The ConfigError that `promise` rejects with (fails the test if it resolves or throws something else). */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-pipelines-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('the example pipelines', () => {
  it('all load, with their units parsed and defaults filled', async () => {
    const registry = await loadPipelines(EXAMPLES);
    expect(registry.list().map((pipeline) => pipeline.name)).toEqual(['meter-by-status', 'meter-daily']);
    const daily = registry.get('meter-daily')!;
    expect(daily.policy.backoff).toEqual({ initial: 5_000, max: 300_000, factor: 2 });
    expect(daily.policy.timeouts).toEqual({ queued: 86_400_000, launching: 120_000, running: 7_200_000, loading: 1_800_000 });
    expect(daily.engine.conf['spark.sql.session.timeZone']).toBe('UTC');
    const byStatus = registry.get('meter-by-status')!;
    expect(byStatus.parameters.site?.type).toBe('string');
    expect(byStatus.policy.max_attempts).toBe(3);
    expect(byStatus.engine.cores).toBe(2);
  });
});

describe('loadPipelines', () => {
  it('reads .yaml and .yml files and ignores others', async () => {
    await writeFile(join(dir, 'a.yaml'), valid('alpha'));
    await writeFile(join(dir, 'b.yml'), valid('beta'));
    await writeFile(join(dir, 'notes.txt'), 'not a pipeline: [');
    const registry = await loadPipelines(dir);
    expect(registry.list().map((pipeline) => pipeline.name)).toEqual(['alpha', 'beta']);
    expect(registry.get('gamma')).toBeUndefined();
  });

  it('names the file of a YAML syntax error', async () => {
    const file = join(dir, 'broken.yaml');
    await writeFile(file, 'name: broken\ninput: [unclosed\n');
    const error = await configError(loadPipelines(dir));
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid YAML');
    expect(error.message).toMatch(/line \d+, column \d+/);
  });

  it('refuses a key written twice, naming the file and the line', async () => {
    const file = join(dir, 'twice.yaml');
    await writeFile(file, `${valid('twice')}name: again\n`);
    const error = await configError(loadPipelines(dir));
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/unique.*line \d+/);
  });

  it('names the file, the field path and the problem of a schema error', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, valid('bad').replace('group_by: [region]', 'group_by: [region, country]'));
    const error = await configError(loadPipelines(dir));
    expect(error.message).toContain(file);
    expect(error.message).toContain('transform.group_by.1');
    expect(error.message).toContain('"country"');
  });

  it('names the file of an empty document', async () => {
    const file = join(dir, 'empty.yaml');
    await writeFile(file, '');
    const error = await configError(loadPipelines(dir));
    expect(error.message).toContain(file);
  });

  it('refuses two files with the same pipeline name, naming both', async () => {
    const first = join(dir, 'one.yaml');
    const second = join(dir, 'two.yaml');
    await writeFile(first, valid('same'));
    await writeFile(second, valid('same'));
    const error = await configError(loadPipelines(dir));
    expect(error.message).toContain(first);
    expect(error.message).toContain(second);
    expect(error.message).toContain('"same"');
  });

  it.each([
    ['the same folder', 'sources: [{ kind: fs, path: /landing/sales }]', 'sources: [{ kind: fs, path: /landing/sales/ }]', '/landing/sales', '/landing/sales/'],
    ['a folder inside another', 'sources: [{ kind: fs, path: /landing }]', 'sources: [{ kind: fs, path: /landing/sales }]', '/landing', '/landing/sales'],
    ['overlapping s3 prefixes', 'sources: [{ kind: s3, bucket: landing, prefix: sales }]', 'sources: [{ kind: s3, bucket: landing, prefix: sales/eu }]', 's3://landing/sales/', 's3://landing/sales/eu/'],
  ])('refuses two pipelines whose sources would take the same files (%s), naming both files and places', async (_case, a, b, placeA, placeB) => {
    const first = join(dir, 'a.yaml');
    const second = join(dir, 'b.yaml');
    await writeFile(first, `${valid('first')}${a}\n`);
    await writeFile(second, `${valid('second')}${b}\n`);
    const error = await configError(loadPipelines(dir));
    expect(error.message).toContain('landing sources overlap');
    expect(error.message).toContain(`${first} watches ${placeA}; ${second} watches ${placeB}`);
  });

  it('loads pipelines on sibling folders and s3 prefixes that only share a name start', async () => {
    await writeFile(join(dir, 'a.yaml'), `${valid('first')}sources: [{ kind: fs, path: /landing/sales }, { kind: s3, bucket: landing, prefix: sales }]\n`);
    await writeFile(join(dir, 'b.yaml'), `${valid('second')}sources: [{ kind: fs, path: /landing/sales-eu }, { kind: s3, bucket: landing, prefix: salesforce }]\n`);
    expect((await loadPipelines(dir)).list().map((pipeline) => pipeline.name)).toEqual(['first', 'second']);
  });

  it('names SLUICE_PIPELINES_DIR when the folder is missing', async () => {
    const missing = join(dir, 'nowhere');
    const error = await configError(loadPipelines(missing));
    expect(error.message).toContain('SLUICE_PIPELINES_DIR');
    expect(error.message).toContain(missing);
  });

  it('names a pipeline file it cannot read, without a stack trace', async () => {
    const folder = join(dir, 'sales.yaml');
    await mkdir(folder);
    const error = await configError(loadPipelines(dir));
    expect(error.message).toMatch(new RegExp(`^${folder}: cannot read: .*EISDIR`));
  });

  it('reads a file whose extension is in capitals (copied from Windows) like any other', async () => {
    await writeFile(join(dir, 'SALES.YAML'), valid('sales'));
    await writeFile(join(dir, 'Orders.Yml'), valid('orders'));
    expect((await loadPipelines(dir)).list().map((pipeline) => pipeline.name)).toEqual(['orders', 'sales']);
  });

  it('loads an empty folder as no pipelines', async () => {
    await mkdir(join(dir, 'sub'));
    expect((await loadPipelines(dir)).list()).toEqual([]);
  });
});

describe('parsePipeline: YAML mistakes the parser words for a programmer', () => {
  it.each(['*/5 * * * *', '* * * * *'])('says to quote a cron written unquoted (%s reads as a YAML alias), with its line', (cron) => {
    const error = (() => {
      try {
        parsePipeline(`${valid('scheduled')}schedule:\n  cron: ${cron}\n`, 'p.yaml');
      } catch (thrown) {
        return thrown as Error;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/^p\.yaml: not valid YAML: .* at line 12, column \d+/);
    expect(error.message).toContain('(a value that starts with "*" is read as a YAML alias: quote it, e.g. cron: "*/5 * * * *")');
  });

  it('says a file holds one pipeline when it has a second document, not to call parseAllDocuments()', () => {
    expect(() => parsePipeline(`${valid('one')}---\n${valid('two')}`, 'p.yaml')).toThrow(/^p\.yaml: not valid YAML: a file holds one pipeline, but a second YAML document \("---"\) starts at line 11/);
    expect(() => parsePipeline(`${valid('one')}---\n`, 'p.yaml')).not.toThrow(/parseAllDocuments/);
  });
});

describe('parsePipeline', () => {
  it('reports every invalid field, one per line', () => {
    const text = valid('two-problems').replace('amount: double', 'amount: money').replace('fn: sum', 'fn: median');
    expect(() => parsePipeline(text, 'p.yaml')).toThrow(/p\.yaml: invalid pipeline\n {2}input\.columns\.amount: .*\n {2}transform/);
  });

  it('refuses a timeout whose unit was left out, naming the file and the field', () => {
    const text = `${valid('forgot-unit')}policy:\n  timeouts:\n    launching: 30\n`;
    expect(() => parsePipeline(text, 'p.yaml')).toThrow(/^p\.yaml: invalid pipeline\n {2}policy\.timeouts\.launching: "30" has no unit and would be 30 milliseconds: write its unit, as in 30s, 30m or 30ms/);
    expect(parsePipeline(text.replace('launching: 30', 'launching: 30s'), 'p.yaml').policy.timeouts.launching).toBe(30_000);
    // The queued stage, which may also be none, says the same.
    const queued = `${valid('forgot-unit')}policy:\n  timeouts:\n    queued: 30\n`;
    expect(() => parsePipeline(queued, 'p.yaml')).toThrow(/\n {2}policy\.timeouts\.queued: "30" has no unit and would be 30 milliseconds: write its unit, as in 30s, 30m or 30ms \(.*\), or none for no limit/);
    expect(parsePipeline(queued.replace('queued: 30', 'queued: none'), 'p.yaml').policy.timeouts.queued).toBeNull();
  });

  it('takes numbers and booleans in engine.conf as the text Spark reads, and still refuses a list there', () => {
    const conf = (value: string) => `${valid('tuned')}engine:\n  conf:\n    spark.sql.shuffle.partitions: ${value}\n    spark.sql.adaptive.enabled: false\n`;
    expect(parsePipeline(conf('200'), 'p.yaml').engine.conf).toEqual({ 'spark.sql.shuffle.partitions': '200', 'spark.sql.adaptive.enabled': 'false' });
    expect(() => parsePipeline(conf('[1, 2]'), 'p.yaml')).toThrow(/p\.yaml: invalid pipeline\n {2}engine\.conf\.spark\.sql\.shuffle\.partitions: /);
  });
});
