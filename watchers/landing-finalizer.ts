// The finish work of a job that came from landings (labels.trigger = landing), run by the
// worker once the job is final:
// - succeeded: each file is archived, deleted or kept (pipeline `after.on_success`), and
//   its landing becomes done;
// - failed with class `data`: the file the failure names is moved to the quarantine folder
//   with a reason file beside it and its landing is quarantined; the batch's other files go
//   back to ready, and the watchers batch them again without it, at once (the release is
//   published in Redis; the watch role hears it in whichever process it runs);
// - anything else (a platform failure after its retries, a cancel): the files stay batched
//   to that job, for an operator to retry it.
// Every step is safe to repeat: a file already moved is skipped, ledger moves are from-state checked.
import { realpath } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Job } from '../broker/core/job.ts';
import type { After } from '../broker/core/landing-config.ts';
import type { JobFinalizer } from '../broker/jobs/job-finalizer.ts';
import type { PipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { joinLocation, type LandingFiles } from './landing-files.ts';
import type { LandingLedger, LandingRecord } from './landing-ledger.ts';
import { quarantineLandings } from './quarantine.ts';

export const LANDING_TRIGGER = 'landing';

/**
 * The landings that are `input` as a run spec names it: S3 objects by URI, files by their real
 * path (the spec holds paths with symlinks resolved; a landing keeps its path under the root).
 */
async function landingsAt(landings: LandingRecord[], input: string | undefined): Promise<LandingRecord[]> {
  if (!input) return [];
  const found: LandingRecord[] = [];
  for (const landing of landings) {
    const location = landing.uri.startsWith('s3://') ? landing.uri : await realpath(landing.uri).catch(() => landing.uri);
    if (location === input || landing.uri === input) found.push(landing);
  }
  return found;
}

export class LandingFinalizer implements JobFinalizer {
  constructor(
    private readonly ledger: Pick<LandingLedger, 'jobLandings' | 'markDone' | 'quarantine' | 'release'>,
    private readonly pipelines: PipelineRegistry,
    private readonly logger: Logger,
    private readonly files: LandingFiles,
  ) {}

  appliesTo(job: Job): boolean {
    return job.labels.trigger === LANDING_TRIGGER;
  }

  async finalize(job: Job): Promise<void> {
    const landings = (await this.ledger.jobLandings(job.id)).filter((landing) => landing.state === 'batched');
    const after = this.pipelines.get(job.pipeline)?.after;
    if (landings.length === 0 || !after) return;
    const log = this.logger.child({ jobId: job.id, pipeline: job.pipeline });
    if (job.state === 'succeeded') {
      for (const landing of landings) await this.afterSuccess(after, landing);
      await this.ledger.markDone(landings.map((landing) => landing.fingerprint));
      log.info({ files: landings.length, action: after.on_success }, 'landings done');
    } else if (job.state === 'failed' && job.failure?.class === 'data') {
      // The failure names the bad input; when it names none of the batch's files, all are
      // suspect rather than any silently passed over.
      const named = await landingsAt(landings, job.failure.input);
      const bad = named.length > 0 ? named : landings;
      const context = `job ${job.id} (attempt ${job.attempt}) failed with class data`;
      await quarantineLandings({ ledger: this.ledger, files: this.files }, after, bad, job.failure.message, context);
      // The release is announced in Redis: the watch role, in whichever process, batches these again at once.
      const good = landings.filter((landing) => !bad.includes(landing));
      await this.ledger.release(good.map((landing) => landing.fingerprint));
      log.warn({ quarantined: bad.length, released: good.length }, 'landings quarantined after a data failure');
    }
  }

  private async afterSuccess(after: After, landing: LandingRecord): Promise<void> {
    if (after.on_success === 'delete') await this.files.remove(landing.uri);
    else if (after.on_success === 'archive' && after.archive) await this.files.move(landing.uri, joinLocation(after.archive, landing.path));
  }
}
