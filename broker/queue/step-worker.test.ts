import { describe, expect, it } from 'vitest';
import { ConfigError, OperationalError } from '../core/errors.ts';
import { stepBackoff } from './bull-job-queue.ts';
import { afterStepError, MAX_STEP_ERRORS } from './step-worker.ts';

describe('afterStepError', () => {
  it('fails the job at once, as user with its message, on a configuration error: no step-error retries', () => {
    const error = new OperationalError('could not start local run j-1', { cause: new ConfigError('the S3A jar /c/hadoop-aws.jar is missing') });
    expect(afterStepError(error, 0)).toEqual({ kind: 'fail', failureClass: 'user', message: 'could not start local run j-1: the S3A jar /c/hadoop-aws.jar is missing' });
  });

  it('retries an unexpected error with a growing delay, counting consecutive errors', () => {
    expect(afterStepError(new Error('ECONNRESET'), 0)).toEqual({ kind: 'retry', stepErrors: 1, delayMs: stepBackoff(1) });
    expect(afterStepError(new Error('ECONNRESET'), 5)).toEqual({ kind: 'retry', stepErrors: 6, delayMs: stepBackoff(6) });
  });

  it('fails the job when the budget runs out, with the last error\'s message rather than "see the worker log"', () => {
    const next = afterStepError(new TypeError('cannot read properties of undefined (reading "attempt")'), MAX_STEP_ERRORS - 1);
    expect(next).toEqual({
      kind: 'fail',
      failureClass: 'platform',
      message: `the job step failed ${MAX_STEP_ERRORS} times in a row; the last error: cannot read properties of undefined (reading "attempt")`,
    });
  });
});
