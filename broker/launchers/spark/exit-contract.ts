// The Spark app's failure contract (docs/adr/0004-spark-failure-contract.md) read from the
// broker's side: an exit code plus the end of the driver log → a RunStatus. Every launcher
// that runs the Spark app (local spark-submit today, a driver pod next) sees at least those
// two things, so they all report a run's end through this one module and say the same.
import type { FailureClass } from '../../core/job.ts';
import { FAILURE_LINE_PREFIX, FailureLineSchema, SPARK_EXIT, type FailureLine } from '../../core/run-spec.ts';
import type { RunStatus } from '../launcher.ts';
import { lastLines } from '../log-tail.ts';

/** Spark's shutdown hooks log after the app's last words, so the failure line is looked for a little higher up. */
export const FAILURE_SEARCH_LINES = 200;
/** How much of the log an ended run's status carries, for the job's failure. */
export const LOG_TAIL_LINES = 40;

const FAILURE_CLASS_BY_EXIT: Partial<Record<number, FailureClass>> = { [SPARK_EXIT.user]: 'user', [SPARK_EXIT.data]: 'data' };

/**
 * The status of a run that ended with `exitCode`; `logEnd` is the last FAILURE_SEARCH_LINES
 * lines of its driver log (or fewer). `otherExit` is the message when the app left no failure
 * line; a launcher whose platform knows more (a pod killed for memory) passes its own.
 */
export function endedRunStatus(exitCode: number, logEnd: string, otherExit: string = exitDescription(exitCode)): RunStatus {
  if (exitCode === SPARK_EXIT.ok) return { phase: 'succeeded' };
  const line = failureLine(logEnd);
  return {
    phase: 'failed',
    failureClass: FAILURE_CLASS_BY_EXIT[exitCode] ?? 'platform',
    message: line?.message ?? otherExit,
    logTail: lastLines(logEnd, LOG_TAIL_LINES),
    ...(line?.input ? { input: line.input } : {}),
  };
}

/** The last `SLUICE_FAILURE {json}` line, the app's own account of its failure. */
export function failureLine(log: string): FailureLine | undefined {
  const lines = log.split('\n');
  for (let index = lines.length - 1; index >= 0; index -= 1) {
    const line = lines[index]!;
    if (!line.startsWith(FAILURE_LINE_PREFIX)) continue;
    try {
      const parsed = FailureLineSchema.safeParse(JSON.parse(line.slice(FAILURE_LINE_PREFIX.length)));
      if (parsed.success) return parsed.data;
    } catch {
      // A garbled failure line says nothing usable; an earlier one or the exit code will.
    }
  }
  return undefined;
}

/** An exit without the app's own words: a shell reports a child killed by signal N as 128 + N. */
export function exitDescription(exitCode: number, program = 'spark-submit'): string {
  return exitCode > 128 ? `${program} was killed by signal ${exitCode - 128}` : `${program} exited with code ${exitCode}`;
}
