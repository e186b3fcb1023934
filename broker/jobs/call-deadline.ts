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

/** setTimeout's longest delay (2^31 − 1 ms, about 24.8 days); Node fires a longer one after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs `call(signal)`; rejects with a DeadlineError naming `what` and `ms` when it has not
 * settled after `ms`. A call that settles later is ignored (its rejection included).
 */
export async function withDeadline<T>(what: string, ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const due = Date.now() + ms;
    // A stage timeout may be set in days; setTimeout fires at once past MAX_TIMER_MS, so a
    // longer deadline is reached in steps.
    const arm = () => {
      const left = due - Date.now();
      timer = setTimeout(left > MAX_TIMER_MS ? arm : () => {
        const error = new DeadlineError(what, ms);
        controller.abort(error);
        reject(error);
      }, Math.min(Math.max(left, 0), MAX_TIMER_MS));
    };
    arm();
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
