// What happens once a job is final, besides the record: the landings of a batch are
// archived, deleted or quarantined (watchers/landing-finalizer.ts); later, events and
// webhooks. A port, so that jobs/ does not depend on the watchers. Must be idempotent: a
// worker that dies after finalize() and before recording it runs it again.
import type { Job } from '../core/job.ts';

export interface JobFinalizer {
  /** Whether the job has finish work at all (most API jobs have none: no write is spent on them). */
  appliesTo(job: Job): boolean;
  finalize(job: Job): Promise<void>;
}
