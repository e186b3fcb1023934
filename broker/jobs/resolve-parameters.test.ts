import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.ts';
import { PipelineSchema, type ParameterValue } from '../core/pipeline.ts';
import { resolveParameters } from './resolve-parameters.ts';

const pipeline = PipelineSchema.parse({
  name: 'by-site',
  input: { columns: { site: 'string', kwh: 'double' } },
  parameters: {
    site: { type: 'string' },
    min_kwh: { type: 'number', default: 0 },
    ok_only: { type: 'boolean', default: true },
  },
  transform: { sql: 'SELECT * FROM landing WHERE site = :site AND kwh >= :min_kwh' },
  outputs: { lake: { table: 'by_site' } },
});

function userError(given: Record<string, ParameterValue>, on = pipeline): UserError {
  let thrown: unknown;
  try {
    resolveParameters(on, given);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(UserError);
  const error = thrown as UserError;
  expect(error.status).toBe(422);
  expect(error.code).toBe('invalid-parameters');
  return error;
}

describe('resolveParameters', () => {
  it('fills the defaults of the parameters not given', () => {
    expect(resolveParameters(pipeline, { site: 'site-007' })).toEqual({ site: 'site-007', min_kwh: 0, ok_only: true });
  });

  it('prefers the given value over the default, including false and 0', () => {
    const withDefaults = PipelineSchema.parse({ ...pipeline, parameters: { n: { type: 'number', default: 5 }, b: { type: 'boolean', default: true } } });
    expect(resolveParameters(withDefaults, { n: 0, b: false })).toEqual({ n: 0, b: false });
  });

  it('refuses an unknown parameter with its path', () => {
    const error = userError({ site: 's', colour: 'red' });
    expect(error.details).toEqual([{ path: 'parameters.colour', message: expect.stringContaining('"colour"') }]);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty'])('refuses %s as an unknown parameter too', (name) => {
    expect(userError({ site: 's', [name]: 'x' }).details.map((detail) => detail.path)).toEqual([`parameters.${name}`]);
  });

  it('asks for a required parameter by path', () => {
    expect(userError({}).details).toEqual([{ path: 'parameters.site', message: 'is required' }]);
  });

  it('asks for a required parameter whose name is also an Object.prototype property', () => {
    const declaresConstructor = PipelineSchema.parse({ ...pipeline, parameters: { constructor: { type: 'string' } } });
    expect(userError({}, declaresConstructor).details).toEqual([{ path: 'parameters.constructor', message: 'is required' }]);
  });

  it('refuses a value of the wrong type, naming the type', () => {
    expect(userError({ site: 7 }).details).toEqual([{ path: 'parameters.site', message: 'must be a string' }]);
    expect(userError({ site: 's', min_kwh: '5' }).details).toEqual([{ path: 'parameters.min_kwh', message: 'must be a number' }]);
    expect(userError({ site: 's', ok_only: 'yes' }).details).toEqual([{ path: 'parameters.ok_only', message: 'must be a boolean' }]);
  });

  it('reports every problem at once', () => {
    const paths = userError({ colour: 'red', min_kwh: 'x' }).details.map((detail) => detail.path).sort();
    expect(paths).toEqual(['parameters.colour', 'parameters.min_kwh', 'parameters.site']);
  });

  it('accepts no parameters for a pipeline that declares none', () => {
    const none = PipelineSchema.parse({ ...pipeline, parameters: {} });
    expect(resolveParameters(none, {})).toEqual({});
  });
});
