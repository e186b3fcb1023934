// How `sluice status` (and `submit --follow`) shows a job's Spark run: which run it is, its
// state in Spark's words when the launcher knows it, and the one link that is current. The
// Spark UI answers only while the run lives; once it ended, the history server's page is the
// link (a dead UI link is not shown).
import type { JobView } from './sluice-client.ts';

/** Spark Operator states after which the run does nothing more. */
const ENDED_SPARK_STATES: ReadonlySet<string> = new Set(['COMPLETED', 'FAILED', 'SUBMISSION_FAILED']);

/**
 * Whether the job's recorded run has ended: the job has moved past running (a retry's queue,
 * loading, a final state), or Spark said so before the worker's next step recorded the end.
 */
export function runHasEnded(job: Pick<JobView, 'state' | 'run'>): boolean {
  if (job.state !== 'launching' && job.state !== 'running') return true;
  return job.run?.sparkState !== undefined && ENDED_SPARK_STATES.has(job.run.sparkState);
}

/** The lines that describe the job's run, indented like the rest of the summary; none when it has no run. */
export function runLines(job: Pick<JobView, 'state' | 'run' | 'engine'>): string[] {
  const { run } = job;
  const engine = job.engine ? [`  engine ${job.engine.reason}`] : [];
  if (!run) return engine;
  const state = run.sparkState ? `: ${run.sparkState}` : '';
  const what = run.launcher === 'embedded' ? 'embedded run' : 'spark run';
  const lines = [...engine, `  ${what} ${run.runId} (${run.launcher}, attempt ${run.attempt})${state}`];
  if (!runHasEnded(job)) {
    if (run.uiUrl) lines.push(`  spark UI ${run.uiUrl}`);
  } else if (run.historyUrl) {
    lines.push(`  spark history ${run.historyUrl}`);
  }
  return lines;
}
