// The `schedule` block of a pipeline: refused at load, with the field path, when a tick
// could never run (a bad cron, an unknown time zone, params that do not fit).
import { describe, expect, it } from 'vitest';
import { PipelineSchema } from './pipeline.ts';

const pipeline = (schedule: unknown, extra: Record<string, unknown> = {}) => ({
  name: 'nightly-orders',
  input: { columns: { region: 'string', amount: 'double' }, paths: ['orders/'] },
  parameters: {
    min_amount: { type: 'number', default: 0 },
    region: { type: 'string' },
  },
  transform: { group_by: ['region'], metrics: [{ name: 'orders', fn: 'count' }] },
  outputs: { lake: { table: 'orders_nightly' } },
  schedule,
  ...extra,
});

function issues(input: unknown): string[] {
  const result = PipelineSchema.safeParse(input);
  expect(result.success, 'expected the pipeline to be refused').toBe(false);
  return result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('pipeline schedule', () => {
  it('fills the time zone (UTC) and catch-up (latest) in', () => {
    const parsed = PipelineSchema.parse(pipeline({ cron: '0 2 * * *', params: { region: 'eu' } }));
    expect(parsed.schedule).toEqual({ cron: '0 2 * * *', timezone: 'UTC', params: { region: 'eu' }, catchup: 'latest' });
  });

  it('takes a time zone, catchup none, six fields (seconds first) and named schedules', () => {
    expect(PipelineSchema.parse(pipeline({ cron: '0 0 2 * * 1-5', timezone: 'Europe/Zurich', catchup: 'none', params: { region: 'eu' } })).schedule).toMatchObject({
      timezone: 'Europe/Zurich',
      catchup: 'none',
    });
    expect(PipelineSchema.parse(pipeline({ cron: '@daily', params: { region: 'eu' } })).schedule?.cron).toBe('@daily');
  });

  it('leaves a pipeline without a schedule as it was', () => {
    expect(PipelineSchema.parse(pipeline(undefined)).schedule).toBeUndefined();
  });

  it.each([
    ['61 * * * *', /schedule\.cron: is not a cron expression: .*61/],
    ['every day', /schedule\.cron: must have five fields/],
    ['0 2', /schedule\.cron: must have five fields/],
    ['0 0 31 2 *', /schedule\.cron: is not a cron expression/],
  ])('refuses the cron expression %j, naming schedule.cron', (cron, message) => {
    expect(issues(pipeline({ cron, params: { region: 'eu' } }))).toEqual([expect.stringMatching(message)]);
  });

  it('refuses an unknown time zone, naming schedule.timezone', () => {
    expect(issues(pipeline({ cron: '0 2 * * *', timezone: 'Europe/Zürich', params: { region: 'eu' } }))).toEqual([
      'schedule.timezone: must be an IANA time zone such as Europe/Zurich or UTC',
    ]);
  });

  it('checks params against the declared parameters, as a submit would', () => {
    expect(issues(pipeline({ cron: '0 2 * * *', params: { region: 7, colour: 'red' } }))).toEqual([
      'schedule.params.colour: the pipeline declares no parameter "colour"',
      'schedule.params.region: must be a string',
    ]);
    // A parameter without a default must be given: a tick has nobody to ask.
    expect(issues(pipeline({ cron: '0 2 * * *' }))).toEqual(['schedule.params.region: is required: the parameter has no default']);
  });

  it('refuses a schedule on a pipeline with no default input paths', () => {
    const noPaths = pipeline({ cron: '0 2 * * *', params: { region: 'eu' } }, { input: { columns: { region: 'string', amount: 'double' } } });
    expect(issues(noPaths)).toEqual([expect.stringMatching(/^schedule: a scheduled job reads the pipeline's input.paths/)]);
  });

  it('refuses unknown fields in the block', () => {
    expect(issues(pipeline({ cron: '0 2 * * *', params: { region: 'eu' }, catch_up: 'none' }))).toEqual([expect.stringMatching(/^schedule: Unrecognized key/)]);
  });
});
