// The three kinds of error of DESIGN.md: a UserError is the caller's to fix (4xx, never
// retried), an OperationalError is the platform's (retried with backoff), anything else is
// a bug. Each carries a stable `code` that the API turns into a problem type.
import type { ZodError } from 'zod';
import type { FailureClass } from './job.ts';

export type ErrorDetail = { path: string; message: string };

export class UserError extends Error {
  override readonly name: string = 'UserError';
  constructor(
    readonly code: string,
    message: string,
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 = 400,
    readonly details: ErrorDetail[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class NotFoundError extends UserError {
  override readonly name = 'NotFoundError';
  constructor(what: string, id: string) {
    super('not-found', `${what} "${id}" does not exist`, 404);
  }
}

export class ConflictError extends UserError {
  override readonly name = 'ConflictError';
  constructor(code: string, message: string) {
    super(code, message, 409);
  }
}

export class OperationalError extends Error {
  override readonly name = 'OperationalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A configuration file or setting that cannot be used; the message names the file and field. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * An error that knows how the job it stops should fail (a sink's reading of its server's
 * error, a call that missed its deadline): failureOf() takes its class as it is.
 */
export class ClassifiedError extends Error {
  override readonly name: string = 'ClassifiedError';
  constructor(
    readonly failureClass: FailureClass,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A failure of the attempt that taking the same step again cannot cure, because the step
 * would read the same thing again (a run's broken manifest): the job fails its attempt at
 * once, with its class, and a new attempt follows when the class is retried. A plain
 * ClassifiedError of a retried class has the step taken again first.
 */
export class AttemptError extends ClassifiedError {
  override readonly name: string = 'AttemptError';
}

/** A call (a launcher's, a sink's) that did not return by its deadline; the caller aborted it. */
export class DeadlineError extends ClassifiedError {
  override readonly name = 'DeadlineError';
  constructor(
    /** What was called, e.g. "launcher local: launch()". */
    readonly call: string,
    readonly ms: number,
  ) {
    super('timeout', `${call} did not return within ${ms} ms`);
  }
}

/** Credentials in any URL of a message (user:password@) replaced by ***: messages go to job records, logs and the API. */
export function withoutUrlCredentials(message: string): string {
  return message.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, '$1***@');
}

/** Whether a file-system error says the file or folder is not there (often expected, not a fault). */
export function isMissingFile(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/** Zod issues as field paths ("parameters.day"); an unknown key is reported at its own path. */
export function zodErrorDetails(error: ZodError): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ path: [...base, key].join('.'), message: 'is not a known field' });
    } else {
      details.push({ path: base.join('.'), message: issue.message });
    }
  }
  return details;
}

/** Zod issues as "path: message" lines, for messages that name a file or a setting; `root` stands for an empty path. */
export function zodErrorLines(error: ZodError, root = '(top level)'): string[] {
  return zodErrorDetails(error).map((detail) => `${detail.path || root}: ${detail.message}`);
}
