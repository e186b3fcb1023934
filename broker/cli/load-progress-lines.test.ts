// How a SQL load in progress reads in `sluice status`, `submit --follow` and on the dashboard.
import { describe, expect, it } from 'vitest';
import { loadProgressLines, loadProgressText, type LoadProgressView } from './load-progress-lines.ts';

const at = '2026-03-01T00:00:00.000Z';
const load = (phase: LoadProgressView['phase'], rowsStaged: number, rowsTotal = 10_000_000): LoadProgressView => ({ sink: 'warehouse:dbo.totals', phase, rowsStaged, rowsTotal, updatedAt: at });

describe('loadProgressText', () => {
  it.each([
    ['staging: rows so far of all, with thousands marked, and the share', load('staging', 4_200_000), 'loading into warehouse:dbo.totals: staging 4,200,000 of 10,000,000 rows (42%)'],
    ['staging has just begun', load('staging', 0), 'loading into warehouse:dbo.totals: staging 0 of 10,000,000 rows (0%)'],
    ['one row short is not 100%', load('staging', 9_999_999), 'loading into warehouse:dbo.totals: staging 9,999,999 of 10,000,000 rows (99%)'],
    ['an empty run has no share', load('staging', 0, 0), 'loading into warehouse:dbo.totals: staging 0 of 0 rows'],
    ['staged', load('staged', 10_000_000), 'loading into warehouse:dbo.totals: staged 10,000,000 rows; applying them next'],
    ['applying', load('applying', 10_000_000), 'loading into warehouse:dbo.totals: applying 10,000,000 staged rows to the table'],
    ['committed', load('committed', 10_000_000), 'loading into warehouse:dbo.totals: committed 10,000,000 rows'],
  ])('%s', (_name, progress, expected) => {
    expect(loadProgressText(progress)).toBe(expected);
  });
});

describe('loadProgressLines', () => {
  it('gives one indented line per load running, and none without', () => {
    expect(loadProgressLines({ loadProgress: [load('staging', 5_000_000)] })).toEqual(['  loading into warehouse:dbo.totals: staging 5,000,000 of 10,000,000 rows (50%)']);
    expect(loadProgressLines({})).toEqual([]);
  });
});
