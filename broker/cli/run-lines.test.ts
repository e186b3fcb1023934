// The run lines of `sluice status`: the Spark state, and the UI link while the run lives or
// the history link after it ended, never a dead UI link.
import { describe, expect, it } from 'vitest';
import { runHasEnded, runLines } from './run-lines.ts';

const run = { launcher: 'k8s-operator', runId: 'analytics/sluice-j1-1', attempt: 1, startedAt: '2026-01-01T00:00:00Z' };
const UI = 'https://spark.example/analytics/sluice-j1-1/';
const HISTORY = 'https://history.example/history/spark-0001/';

describe('runLines', () => {
  it.each([
    ['no run yet: nothing', { state: 'queued' as const }, []],
    [
      'an embedded run: the engine and why, then the run',
      {
        state: 'running' as const,
        engine: { attempt: 1, engine: 'embedded' as const, reason: 'embedded: 46 MB ≤ 2 GB' },
        run: { launcher: 'embedded', runId: 'j1-1', attempt: 1, startedAt: '2026-01-01T00:00:00Z' },
      },
      ['  engine embedded: 46 MB ≤ 2 GB', '  embedded run j1-1 (embedded, attempt 1)'],
    ],
    ['a local run: which run, no state, no link', { state: 'running' as const, run }, ['  spark run analytics/sluice-j1-1 (k8s-operator, attempt 1)']],
    [
      'running: the Spark state and the UI link, not the history link',
      { state: 'running' as const, run: { ...run, sparkState: 'RUNNING', uiUrl: UI, historyUrl: HISTORY } },
      ['  spark run analytics/sluice-j1-1 (k8s-operator, attempt 1): RUNNING', `  spark UI ${UI}`],
    ],
    [
      'succeeded: the final state and the history link, not the dead UI link',
      { state: 'succeeded' as const, run: { ...run, sparkState: 'COMPLETED', uiUrl: UI, historyUrl: HISTORY } },
      ['  spark run analytics/sluice-j1-1 (k8s-operator, attempt 1): COMPLETED', `  spark history ${HISTORY}`],
    ],
    [
      'Spark says FAILED before the worker recorded the end: already the history link',
      { state: 'running' as const, run: { ...run, sparkState: 'FAILED', uiUrl: UI, historyUrl: HISTORY } },
      ['  spark run analytics/sluice-j1-1 (k8s-operator, attempt 1): FAILED', `  spark history ${HISTORY}`],
    ],
    [
      'ended without a history link: no link at all',
      { state: 'failed' as const, run: { ...run, launcher: 'k8s-native', sparkState: 'FAILED', uiUrl: UI } },
      ['  spark run analytics/sluice-j1-1 (k8s-native, attempt 1): FAILED'],
    ],
  ])('%s', (_name, job, expected) => {
    expect(runLines(job)).toEqual(expected);
  });

  it('a job queued for a retry shows its last run as ended', () => {
    expect(runHasEnded({ state: 'queued', run: { ...run, sparkState: 'RUNNING' } })).toBe(true);
    expect(runHasEnded({ state: 'running', run: { ...run, sparkState: 'SUBMITTED' } })).toBe(false);
  });
});
