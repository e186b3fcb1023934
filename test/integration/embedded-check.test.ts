// The worker's start-up question to the embedded engine (spark-apps/embedded_check.py, run
// for real): which pipelines it can run. A pipeline's input columns and engine.conf reach the
// check, so that settings which change what Spark SQL computes, and derived columns named as
// input columns, send the pipeline to Spark instead of giving other answers.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineSchema, type Pipeline } from '../../broker/core/pipeline.ts';
import { checkEmbeddedTransforms } from '../../broker/launchers/embedded-check.ts';
import { PYTHON } from '../harness/python.ts';

function pipeline(name: string, extra: { conf?: Record<string, string>; derive?: Record<string, string> } = {}): Pipeline {
  return PipelineSchema.parse({
    name,
    input: { columns: { site: 'string', kwh: 'double', ts: 'timestamp' } },
    transform: {
      ...(extra.derive ? { derive: extra.derive } : {}),
      group_by: ['site'],
      metrics: [{ name: 'kwh_sum', fn: 'sum', column: 'kwh' }],
    },
    outputs: { lake: { table: name.replaceAll('-', '_') } },
    engine: { launcher: 'local', ...(extra.conf ? { conf: extra.conf } : {}) },
  });
}

describe('the embedded engine check at a worker\'s start', () => {
  it('sends a pipeline whose engine.conf changes Spark SQL\'s answers (a session time zone) or whose derived column shadows an input column to Spark, naming why', async () => {
    const check = await checkEmbeddedTransforms({
      python: PYTHON,
      sparkAppsDir: resolve('spark-apps'),
      pipelines: [
        pipeline('utc', { conf: { 'spark.sql.session.timeZone': 'UTC', 'spark.sql.shuffle.partitions': '8' } }),
        pipeline('paris', { conf: { 'spark.sql.session.timeZone': 'Europe/Paris' } }),
        pipeline('shadowing', { derive: { kwh: 'kwh * 1000' } }),
      ],
    });
    expect(check.unavailable).toBeUndefined();
    expect([...check.untranslatable.keys()].sort()).toEqual(['paris', 'shadowing']);
    expect(check.untranslatable.get('paris')).toContain('spark.sql.session.timeZone');
    expect(check.untranslatable.get('shadowing')).toContain('kwh');
  });
});
