import { describe, expect, it } from 'vitest';
import { globMatcher } from './glob.ts';

describe('globMatcher', () => {
  it('matches "**/" across zero or more folders and "*" inside one segment', () => {
    const parquet = globMatcher(['**/*.parquet']);
    expect(parquet('a.parquet')).toBe(true);
    expect(parquet('2024/05/a.parquet')).toBe(true);
    expect(parquet('a.parquet.tmp')).toBe(false);
    expect(parquet('a.csv')).toBe(false);
    const top = globMatcher(['*.parquet']);
    expect(top('a.parquet')).toBe(true);
    expect(top('sub/a.parquet')).toBe(false);
  });

  it('supports ?, {a,b} and [..], and escapes regex characters', () => {
    expect(globMatcher(['part-?.{parquet,csv}'])('part-1.csv')).toBe(true);
    expect(globMatcher(['part-?.{parquet,csv}'])('part-12.csv')).toBe(false);
    expect(globMatcher(['[ab]*.tmp'])('b1.tmp')).toBe(true);
    expect(globMatcher(['[ab]*.tmp'])('c1.tmp')).toBe(false);
    expect(globMatcher(['a+b(1).parquet'])('a+b(1).parquet')).toBe(true);
    expect(globMatcher(['*.tmp'])('xtmp')).toBe(false);
  });

  it('matches the default temp names', () => {
    const temp = globMatcher(['*.tmp', '_COPYING_*', '*._COPYING_', '.*']);
    for (const name of ['a.parquet.tmp', '_COPYING_a.parquet', 'a.parquet._COPYING_', '.a.parquet']) expect(temp(name), name).toBe(true);
    expect(temp('a.parquet')).toBe(false);
  });

  it('matches case-insensitively when asked (as sources match include patterns): EXPORT.PARQUET matches "**/*.parquet"', () => {
    const include = globMatcher(['**/*.parquet'], { nocase: true });
    for (const path of ['EXPORT.PARQUET', 'sub/Export.Parquet', 'a.parquet']) expect(include(path), path).toBe(true);
    expect(include('a.parquet.tmp')).toBe(false);
    expect(globMatcher(['**/*.parquet'])('EXPORT.PARQUET')).toBe(false);
  });
});
