import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { minimalPipeline } from '../../test/harness/minimal-pipeline.ts';
import { canRun, warnMissingSparkSubmit } from './spark-submit-check.ts';

const pipeline = (name: string, engine: Record<string, unknown>) => minimalPipeline(name, { engine });

/** The warnings `warnMissingSparkSubmit` logs, as parsed lines. */
function warnings(pipelines: ReturnType<typeof pipeline>[], sparkSubmit: string): Array<Record<string, unknown>> {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
  warnMissingSparkSubmit(pipelines, sparkSubmit, '/usr/bin:/bin', logger);
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('warnMissingSparkSubmit', () => {
  it('names the setting and the pipelines on local Spark when spark-submit cannot be run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spark-submit-'));
    const logged = warnings(
      [pipeline('on-spark', { kind: 'spark' }), pipeline('auto', {}), pipeline('falls-back', { kind: 'embedded' }), pipeline('small', { kind: 'embedded', fallback: 'none' })],
      join(dir, 'no-such', 'spark-submit'),
    );
    expect(logged).toHaveLength(1);
    // An embedded pipeline falls back to Spark (engine.fallback: spark, the default) unless told not to.
    expect(logged[0]).toMatchObject({ setting: 'SLUICE_SPARK_SUBMIT', pipelines: ['on-spark', 'auto', 'falls-back'] });
  });

  it('is quiet when spark-submit can be run, or when no pipeline runs on local Spark', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spark-submit-'));
    const submit = join(dir, 'spark-submit');
    await writeFile(submit, '#!/bin/sh\n');
    await chmod(submit, 0o755);
    expect(warnings([pipeline('on-spark', { kind: 'spark' })], submit)).toEqual([]);
    expect(warnings([pipeline('small', { kind: 'embedded', fallback: 'none' })], join(dir, 'missing'))).toEqual([]);
    expect(canRun('sh', `${dir}:/usr/bin:/bin`)).toBe(true);
    expect(canRun('spark-submit', dir)).toBe(true);
    expect(canRun('no-such-command-anywhere', '/usr/bin:/bin')).toBe(false);
  });
});
