// The three kinds of error of DESIGN.md: a UserError is the caller's to fix (4xx, never
// retried), an OperationalError is the platform's (retried with backoff), anything else is
// a bug. Each carries a stable `code` that the API turns into a problem type.
import type { ZodError } from 'zod';

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
