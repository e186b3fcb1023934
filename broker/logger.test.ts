import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('the logger', () => {
  it('redacts the URL a URL error carries, as a logged error shows it', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    let error: unknown;
    try {
      new URL('postgres://loader:Sup3rSecret@db:99999/x');
    } catch (thrown) {
      error = thrown;
    }
    log.error({ err: error }, 'a load failed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('Sup3rSecret');
    expect(JSON.parse(lines[0]!).err.input).toBe('[redacted]');
  });

  it('redacts the arguments of a failed Redis command: a refused AUTH (a rotated password) carries the password', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    // As ioredis's DataHandler leaves a reply error, and BullMQ hands it on as the worker's 'error' event.
    const refused = Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), { name: 'ReplyError', command: { name: 'auth', args: ['Sup3rSecret'] } });
    log.error({ err: refused }, 'step worker error');
    expect(lines[0]).not.toContain('Sup3rSecret');
    expect(JSON.parse(lines[0]!).err.command).toEqual({ name: 'auth', args: '[redacted]' });
  });

  it('redacts the access key id an S3 error carries', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => lines.push(line) });
    const denied = Object.assign(new Error('The AWS Access Key Id you provided does not exist in our records.'), { name: 'InvalidAccessKeyId', AWSAccessKeyId: 'AKIAEXAMPLE0123456' });
    log.warn({ err: denied }, 'listing failed');
    expect(lines[0]).not.toContain('AKIAEXAMPLE0123456');
  });
});
