// A call to something outside the worker (a launcher, a SQL sink) under a deadline: the call
// gets an AbortSignal that aborts when the deadline passes, and the caller stops waiting then
// whether or not the call heeds it, so a hung API server or process never holds a step.
import { DeadlineError } from '../core/errors.ts';

/**
 * The longest a launcher call (launch, status, cancel, runsOf) may take. A local launch takes
 * well under a second and a cancel at most its kill grace (2 × 5 s); an API server that has
 * not answered in a minute will not, and the step is better retried than held.
 */
export const CALL_CAP_MS = 60_000;

/**
 * Runs `call(signal)`; rejects with a DeadlineError naming `what` and `ms` when it has not
 * settled after `ms`. A call that settles later is ignored (its rejection included).
 */
export async function withDeadline<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineError(what, ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
