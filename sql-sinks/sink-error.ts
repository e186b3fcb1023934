// How a load fails. The dialect's driver reads its server's error (SQLSTATE, error number,
// socket code) into a class the job understands: `user` (fix the pipeline or the table,
// never retried), `data`, `platform` (retried by a new attempt), `timeout`; `transient`
// errors (deadlock victim, connection reset, failover) are also retried within the stage.
import { ClassifiedError, withoutUrlCredentials } from '../broker/core/errors.ts';
import type { FailureClass } from '../broker/core/job.ts';

export type SinkFailureClass = Extract<FailureClass, 'user' | 'data' | 'platform' | 'timeout'>;

/** Added to a duplicate-key error: in a load, the usual cause is a run with a key twice. */
export const DUPLICATE_KEYS_HINT = 'the run may hold more than one row for the same key';

/** A load's failure as the job sees it; `cause` keeps the driver's own error (never shown: it may hold what redact() took out). */
export class SinkError extends ClassifiedError {
  override readonly name = 'SinkError';
  declare readonly failureClass: SinkFailureClass;
  constructor(
    failureClass: SinkFailureClass,
    message: string,
    readonly transient = false,
    options?: { cause?: unknown },
  ) {
    super(failureClass, message, options);
  }
}

/** What a driver makes of an error: its class, whether a quick retry may cure it, and the server's words. */
export type ErrorReading = { failureClass: SinkFailureClass; transient: boolean; message: string };

/**
 * Removes secrets from a message before it goes anywhere (job record, log, API). Drivers
 * do not put passwords in their errors, but a URL echoed back by a resolver might.
 */
export function redact(message: string, secrets: readonly string[]): string {
  let clean = message;
  for (const secret of secrets) {
    if (secret.length >= 3) clean = clean.split(secret).join('***');
  }
  // Any URL with credentials, whoever put it there.
  return withoutUrlCredentials(clean);
}
