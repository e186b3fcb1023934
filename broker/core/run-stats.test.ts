import { describe, expect, it } from 'vitest';
import { HOUR_MS, hourBucket, percentile, summarizeRuns, type FinishedRun } from './run-stats.ts';

const UNTIL = Date.parse('2026-06-02T12:00:00Z');
const window = { untilMs: UNTIL, hours: 24 };

/** A run of `pipeline` that finished `hoursAgo` before the window's end and took `tookMs`. */
const run = (pipeline: string, state: FinishedRun['state'], hoursAgo: number, tookMs: number): FinishedRun => {
  const finishedAtMs = UNTIL - hoursAgo * HOUR_MS;
  return { pipeline, state, finishedAtMs, createdAtMs: finishedAtMs - tookMs };
};

describe('percentile', () => {
  it('is the nearest-rank value: always one of the values', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile([7], 0.5)).toBe(7);
    expect(percentile([7], 0.95)).toBe(7);
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.95)).toBe(4);
  });

  it('is null for no values', () => {
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe('hourBucket', () => {
  it('puts the window\'s first hour in bucket 0 and its last in bucket hours-1, the end included', () => {
    expect(hourBucket(UNTIL - 24 * HOUR_MS, window)).toBe(0);
    expect(hourBucket(UNTIL - 23 * HOUR_MS - 1, window)).toBe(0);
    expect(hourBucket(UNTIL - 23 * HOUR_MS, window)).toBe(1);
    expect(hourBucket(UNTIL - 1, window)).toBe(23);
    expect(hourBucket(UNTIL, window)).toBe(23);
  });

  it('is -1 outside the window', () => {
    expect(hourBucket(UNTIL - 24 * HOUR_MS - 1, window)).toBe(-1);
    expect(hourBucket(UNTIL + 1, window)).toBe(-1);
  });
});

describe('summarizeRuns', () => {
  it('counts outcomes per pipeline, times succeeded and failed runs from submit to the end, and trends them per hour', () => {
    const runs = [
      run('sales', 'succeeded', 0.5, 1_000),
      run('sales', 'succeeded', 0.2, 3_000),
      run('sales', 'failed', 5.5, 2_000),
      run('sales', 'cancelled', 1.5, 999_999),
      run('returns', 'failed', 23.9, 60_000),
    ];
    const [returns, sales] = summarizeRuns(runs, window);
    expect(sales).toMatchObject({ pipeline: 'sales', succeeded: 2, failed: 1, cancelled: 1, p50Ms: 2_000, p95Ms: 3_000 });
    expect(sales!.trend.succeeded).toHaveLength(24);
    expect(sales!.trend.succeeded[23]).toBe(2);
    expect(sales!.trend.failed[18]).toBe(1);
    expect(sales!.trend.succeeded.reduce((a, b) => a + b, 0) + sales!.trend.failed.reduce((a, b) => a + b, 0)).toBe(3);
    expect(returns).toMatchObject({ pipeline: 'returns', succeeded: 0, failed: 1, cancelled: 0, p50Ms: 60_000, p95Ms: 60_000 });
    expect(returns!.trend.failed[0]).toBe(1);
  });

  it('lists the named pipelines even without runs, and ignores runs outside the window or not final', () => {
    const rows = summarizeRuns([run('sales', 'succeeded', 25, 1_000), run('sales', 'running', 1, 1_000)], window, ['sales', 'nightly']);
    expect(rows.map((row) => row.pipeline)).toEqual(['nightly', 'sales']);
    for (const row of rows) {
      expect(row).toMatchObject({ succeeded: 0, failed: 0, cancelled: 0, p50Ms: null, p95Ms: null });
      expect(row.trend.failed).toEqual(new Array(24).fill(0));
    }
  });

  it('makes as many buckets as the window has hours', () => {
    const [row] = summarizeRuns([run('sales', 'succeeded', 0, 10)], { untilMs: UNTIL, hours: 3 });
    expect(row!.trend.succeeded).toEqual([0, 0, 1]);
  });

  it('never reports a negative duration (a clock that stepped back)', () => {
    const [row] = summarizeRuns([run('sales', 'succeeded', 1, -5_000)], window);
    expect(row!.p50Ms).toBe(0);
  });
});
