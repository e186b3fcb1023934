import { describe, expect, it } from 'vitest';
import { ParameterSchema } from '../core/pipeline.ts';
import { typedParameters } from './typed-parameters.ts';

const declared = {
  site: ParameterSchema.parse({ type: 'string' }),
  min_kwh: ParameterSchema.parse({ type: 'number' }),
  dry_run: ParameterSchema.parse({ type: 'boolean' }),
};

describe('typedParameters', () => {
  it('sends each --param as the type the pipeline declares', () => {
    expect(typedParameters({ site: '001', min_kwh: '2.5', dry_run: 'true' }, declared)).toEqual({ site: '001', min_kwh: 2.5, dry_run: true });
    expect(typedParameters({ site: 'true' }, declared)).toEqual({ site: 'true' });
  });

  it('leaves what does not read as its type, or is not declared, as text for the server to refuse', () => {
    expect(typedParameters({ min_kwh: 'lots', dry_run: 'yes', other: '5' }, declared)).toEqual({ min_kwh: 'lots', dry_run: 'yes', other: '5' });
    expect(typedParameters({ min_kwh: '' }, declared)).toEqual({ min_kwh: '' });
  });
});
