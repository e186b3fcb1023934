import { describe, expect, it } from 'vitest';
import { failureOf } from '../broker/core/failure-of.ts';
import { redact, SinkError } from './sink-error.ts';

describe('redact', () => {
  it('removes the given secrets and any credentials in a URL', () => {
    expect(redact('login to postgres://app:s3cret@db:5432/x failed (s3cret)', ['s3cret'])).toBe('login to postgres://***@db:5432/x failed (***)');
    expect(redact('mssql://sa:Other.Pass@sql/db unreachable', [])).toBe('mssql://***@sql/db unreachable');
  });
});

describe('SinkError', () => {
  it('keeps the driver\'s error as its cause and is read by failureOf with its own class', () => {
    const driverError = new Error('deadlock detected');
    const error = new SinkError('platform', 'deadlock', true, { cause: driverError });
    expect(error.cause).toBe(driverError);
    expect(failureOf(error)).toEqual({ class: 'platform', retry: true, message: 'deadlock' });
    expect(failureOf(new SinkError('data', 'value too long'))).toEqual({ class: 'data', retry: false, message: 'value too long' });
  });
});
