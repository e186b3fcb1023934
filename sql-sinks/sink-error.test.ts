import { describe, expect, it } from 'vitest';
import { redact } from './sink-error.ts';

describe('redact', () => {
  it('removes the given secrets and any credentials in a URL', () => {
    expect(redact('login to postgres://app:s3cret@db:5432/x failed (s3cret)', ['s3cret'])).toBe('login to postgres://***@db:5432/x failed (***)');
    expect(redact('mssql://sa:Other.Pass@sql/db unreachable', [])).toBe('mssql://***@sql/db unreachable');
  });
});
