// The Spark failure contract (ADR 0004) as any launcher reads it: exit code + log end → status.
import { describe, expect, it } from 'vitest';
import { endedRunStatus, failureLine } from './exit-contract.ts';

describe('spark exit contract', () => {
  it('reads the last well-formed failure line of the log', () => {
    const log = [
      'SLUICE_FAILURE {"class":"data","message":"first"}',
      'SLUICE_FAILURE {"class":"data","message":"bad file x"}',
      'SLUICE_FAILURE not json',
      'INFO ShutdownHookManager: Shutdown hook called',
    ].join('\n');
    expect(failureLine(log)?.message).toBe('bad file x');
    expect(failureLine('nothing here')).toBeUndefined();
  });

  it('maps exit codes to outcomes, with the failure line message and input', () => {
    expect(endedRunStatus(0, '')).toEqual({ phase: 'succeeded' });
    expect(endedRunStatus(64, 'SLUICE_FAILURE {"class":"user","message":"bad sql"}\n')).toMatchObject({ phase: 'failed', failureClass: 'user', message: 'bad sql' });
    expect(endedRunStatus(65, 'SLUICE_FAILURE {"class":"data","message":"not parquet","input":"/l/a.parquet"}\n')).toMatchObject({
      phase: 'failed', failureClass: 'data', message: 'not parquet', input: '/l/a.parquet',
    });
    expect(endedRunStatus(137, 'java.lang.OutOfMemoryError\n')).toEqual({
      phase: 'failed', failureClass: 'platform', message: 'spark-submit was killed by signal 9', logTail: 'java.lang.OutOfMemoryError\n',
    });
    expect(endedRunStatus(1, '')).toMatchObject({ failureClass: 'platform', message: 'spark-submit exited with code 1' });
  });

  it('keeps only the last 40 log lines as the tail', () => {
    const log = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('');
    const status = endedRunStatus(1, log);
    expect(status.phase === 'failed' && status.logTail.split('\n').filter(Boolean)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${60 + i}`));
  });
});
