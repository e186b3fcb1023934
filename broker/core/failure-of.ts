// The one reading of an error as a job failure, used by the job steps (a stage that failed)
// and by the step worker (a step that threw): which class the job fails with, whether trying
// again may cure it, and the message the job record shows.
//
//   ConfigError anywhere in the cause chain → user, no retry (a setting to fix: say which)
//   UserError                              → user, no retry
//   AttemptError (a broken run manifest)   → its class; the step not taken again (the attempt
//                                            is retried instead, when the class is)
//   ClassifiedError (SinkError, deadline)  → its class; retried when the class is
//   OperationalError                       → platform, retried
//   anything else (a bug)                  → platform, retried, with its own message
//
// Messages are ours or a library's; any credentials in a URL are taken out all the same.
import { AttemptError, ClassifiedError, ConfigError, OperationalError, UserError, withoutUrlCredentials } from './errors.ts';
import type { FailureClass } from './job.ts';
import { isRetryable } from './state-machine.ts';

export type FailureReading = { class: FailureClass; retry: boolean; message: string };

/** How deep a cause chain is followed: deep enough for any wrapping we do, bounded against cycles. */
const MAX_CAUSES = 8;

export function failureOf(error: unknown): FailureReading {
  const chain = causeChain(error);
  const config = chain.find((link): link is ConfigError => link instanceof ConfigError);
  if (config) {
    // "could not start local run …: the S3A jar … is missing": what failed, and what to fix.
    const message = config === error ? config.message : `${(error as Error).message}: ${config.message}`;
    return reading('user', false, message);
  }
  if (error instanceof UserError) return reading('user', false, error.message);
  if (error instanceof AttemptError) return reading(error.failureClass, false, error.message);
  if (error instanceof ClassifiedError) return reading(error.failureClass, isRetryable(error.failureClass), error.message);
  if (error instanceof OperationalError) {
    // Our wrapper says what was being done; its cause says why.
    const cause = chain[1];
    const message = cause instanceof Error && cause.message ? `${error.message}: ${cause.message}` : error.message;
    return reading('platform', true, message);
  }
  if (error instanceof Error) return reading('platform', true, error.message || error.name);
  return reading('platform', true, String(error));
}

function reading(failureClass: FailureClass, retry: boolean, message: string): FailureReading {
  return { class: failureClass, retry, message: withoutUrlCredentials(message) };
}

/** The error, its cause, that one's cause, … */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let link: unknown = error; link !== undefined && link !== null && chain.length < MAX_CAUSES; link = (link as { cause?: unknown }).cause) {
    if (chain.includes(link)) break;
    chain.push(link);
  }
  return chain;
}
