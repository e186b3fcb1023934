import { describe, expect, it } from 'vitest';
import { AttemptError, ClassifiedError, ConfigError, DeadlineError, OperationalError, UserError } from './errors.ts';
import { failureOf } from './failure-of.ts';

describe('failureOf', () => {
  it('reads a configuration error as a user failure with its own message, never retried', () => {
    expect(failureOf(new ConfigError('the S3A jar /c/hadoop-aws.jar is missing: run scripts/setup'))).toEqual({
      class: 'user',
      retry: false,
      message: 'the S3A jar /c/hadoop-aws.jar is missing: run scripts/setup',
    });
  });

  it('finds a configuration error wrapped as the cause of an operational one, and says both', () => {
    const wrapped = new OperationalError('could not start local run j-1', { cause: new ConfigError('the S3A jar /c/x.jar is missing') });
    expect(failureOf(wrapped)).toEqual({ class: 'user', retry: false, message: 'could not start local run j-1: the S3A jar /c/x.jar is missing' });
  });

  it('reads user, classified (a sink\'s), deadline, operational and unexpected errors', () => {
    expect(failureOf(new UserError('bad', 'input outside the roots', 422))).toEqual({ class: 'user', retry: false, message: 'input outside the roots' });
    expect(failureOf(new ClassifiedError('data', 'value too long'))).toEqual({ class: 'data', retry: false, message: 'value too long' });
    expect(failureOf(new AttemptError('platform', 'run manifest t/run=j-1/_manifest.json is invalid'))).toEqual({ class: 'platform', retry: false, message: 'run manifest t/run=j-1/_manifest.json is invalid' });
    expect(failureOf(new ClassifiedError('platform', 'connection refused'))).toEqual({ class: 'platform', retry: true, message: 'connection refused' });
    expect(failureOf(new DeadlineError('launcher local: launch()', 5_000))).toEqual({ class: 'timeout', retry: true, message: 'launcher local: launch() did not return within 5000 ms' });
    expect(failureOf(new OperationalError('S3 read failed', { cause: new Error('ECONNRESET') }))).toEqual({ class: 'platform', retry: true, message: 'S3 read failed: ECONNRESET' });
    expect(failureOf(new TypeError('x is undefined'))).toEqual({ class: 'platform', retry: true, message: 'x is undefined' });
    expect(failureOf('thrown text')).toEqual({ class: 'platform', retry: true, message: 'thrown text' });
  });

  it('keeps credentials in URLs out of the message', () => {
    expect(failureOf(new Error('connect to postgres://app:s3cret@db:5432/x refused')).message).toBe('connect to postgres://***@db:5432/x refused');
  });

  it('survives a cause chain that loops', () => {
    const a = new OperationalError('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(failureOf(a)).toEqual({ class: 'platform', retry: true, message: 'a: b' });
  });
});
