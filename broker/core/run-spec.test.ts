import { describe, expect, it } from 'vitest';
import { PipelineSchema } from './pipeline.ts';
import { buildRunSpec } from './run-spec.ts';

const pipeline = PipelineSchema.parse({
  name: 'daily-orders',
  input: { columns: { region: 'string', amount: 'double' } },
  parameters: { min_amount: { type: 'number', default: 0 } },
  transform: { filter: 'amount >= :min_amount', group_by: ['region'], metrics: [{ name: 'amount_sum', fn: 'sum', column: 'amount' }] },
  outputs: { lake: { table: 'orders_daily' } },
});

const args = {
  pipeline,
  jobId: 'j1',
  attempt: 2,
  inputs: ['/landing/a.parquet', '/landing/b.parquet'],
  parameters: { min_amount: 5 },
  runUri: 'file:///lake/orders_daily/run=j1-2',
};

describe('buildRunSpec', () => {
  it('takes the expected columns, transform and table from the pipeline', () => {
    const spec = buildRunSpec(args);
    expect(spec.expected_columns).toEqual({ region: 'string', amount: 'double' });
    expect(spec.transform).toEqual(pipeline.transform);
    expect(spec.output).toEqual({ table: 'orders_daily', run_uri: 'file:///lake/orders_daily/run=j1-2' });
    expect(spec.pipeline).toBe('daily-orders');
  });

  it('carries the job, attempt, inputs and parameters as given', () => {
    const spec = buildRunSpec(args);
    expect(spec).toMatchObject({ version: 1, job_id: 'j1', attempt: 2, inputs: args.inputs, parameters: { min_amount: 5 } });
  });

  it('has no request_id key when there is no request id', () => {
    expect(Object.keys(buildRunSpec(args))).not.toContain('request_id');
    expect(JSON.stringify(buildRunSpec(args))).not.toContain('request_id');
  });

  it('carries the request id when there is one', () => {
    expect(buildRunSpec({ ...args, requestId: 'req-42' }).request_id).toBe('req-42');
  });

  it('carries the trace id when there is one, and no trace_id key otherwise', () => {
    expect(buildRunSpec({ ...args, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }).trace_id).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(Object.keys(buildRunSpec(args))).not.toContain('trace_id');
  });

    it('holds only plain JSON, so that it reaches the Python app unchanged', () => {
    const spec = buildRunSpec({ ...args, requestId: 'req-42', traceId: 't-1' });
    // toStrictEqual: an undefined field, a Date or a class instance would not survive JSON.
    expect(JSON.parse(JSON.stringify(spec))).toStrictEqual(spec);
  });
});
