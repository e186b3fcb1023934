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
//
// Only the landing's own file is archived, deleted or quarantined: a file at its path that is
// no longer the version the ledger recorded (the producer put a corrected one there) belongs
// to another landing and is left in place; the landing is closed all the same, its reason
// saying so. Archive and quarantine copies never overwrite one another (quarantine.ts putAway).
//
// A job whose batch is still open when its finish step runs (the watcher died between submit
// and writing the job id, and the job ended before recover() came round) adopts the batch:
// the open batch of its pipeline whose idempotency key is the job's gets the job id here, and
// its landings are finished with the job; recover() then finds no open batch. Otherwise the
// step would find no landings, and recover() would later tie them to a job already finished.
import { realpath } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Job } from '../broker/core/job.ts';
import type { After } from '../broker/core/landing-config.ts';
import type { JobFinalizer } from '../broker/jobs/job-finalizer.ts';
import type { PipelineRegistry } from '../broker/pipelines/load-pipelines.ts';
import { batchIdempotencyKey } from './batcher.ts';
import type { LandingFiles } from './landing-files.ts';
import type { LandingLedger, LandingRecord } from './landing-ledger.ts';
import { putAway, quarantineLandings, recordedVersion, REPLACED_NOTE } from './quarantine.ts';

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
    private readonly ledger: Pick<
      LandingLedger,
      'jobLandings' | 'markDone' | 'quarantine' | 'release' | 'openBatches' | 'batchLandings' | 'getMany' | 'assignJob' | 'pathRecord' | 'noteMovedTo'
    >,
    private readonly pipelines: PipelineRegistry,
    private readonly logger: Logger,
    private readonly files: LandingFiles,
  ) {}

  appliesTo(job: Job): boolean {
    return job.labels.trigger === LANDING_TRIGGER;
  }

  async finalize(job: Job): Promise<void> {
    const log = this.logger.child({ jobId: job.id, pipeline: job.pipeline });
    const landings = (await this.landingsOf(job, log)).filter((landing) => landing.state === 'batched');
    const after = this.pipelines.get(job.pipeline)?.after;
    if (landings.length === 0 || !after) return;
    if (job.state === 'succeeded') {
      const replaced: LandingRecord[] = [];
      for (const landing of landings) if ((await this.afterSuccess(after, landing)) === 'replaced') replaced.push(landing);
      await this.ledger.markDone(landings.filter((landing) => !replaced.includes(landing)).map((landing) => landing.fingerprint));
      if (replaced.length > 0) {
        await this.ledger.markDone(replaced.map((landing) => landing.fingerprint), REPLACED_NOTE);
        log.warn({ files: replaced.map((landing) => landing.uri), action: after.on_success }, 'landing file replaced by a newer version before its finish work; left in place');
      }
      log.info({ files: landings.length, action: after.on_success }, 'landings done');
    } else if (job.state === 'failed' && job.failure?.class === 'data') {
      // The failure names the bad input; when it names none of the batch's files, all are
      // suspect rather than any silently passed over.
      const named = await landingsAt(landings, job.failure.input);
      const bad = named.length > 0 ? named : landings;
      const context = `job ${job.id} (attempt ${job.attempt}) failed with class data`;
      const replaced: string[] = [];
      await quarantineLandings({ ledger: this.ledger, files: this.files }, after, bad, job.failure.message, context, replaced);
      if (replaced.length > 0) log.warn({ fingerprints: replaced }, 'landing file replaced by a newer version before quarantine; left in place');
      // The release is announced in Redis: the watch role, in whichever process, batches these again at once.
      const good = landings.filter((landing) => !bad.includes(landing));
      await this.ledger.release(good.map((landing) => landing.fingerprint));
      log.warn({ quarantined: bad.length, released: good.length }, 'landings quarantined after a data failure');
    }
  }

  /** The job's landings; when none is tied to it yet, those of the open batch it was submitted for (adopted). */
  private async landingsOf(job: Job, log: Logger): Promise<LandingRecord[]> {
    const landings = await this.ledger.jobLandings(job.id);
    if (landings.length > 0 || !job.idempotencyKey?.startsWith('landing:')) return landings;
    for (const open of await this.ledger.openBatches(0, 100, job.pipeline)) {
      // Keyed as the batcher keys it: by the landings claimed, or (a recovered batch) those still in it.
      const still = await this.ledger.batchLandings(open);
      const claimed = await this.ledger.getMany(open.fingerprints);
      const keys = [batchIdempotencyKey(job.pipeline, still), batchIdempotencyKey(job.pipeline, claimed)];
      if (!keys.includes(job.idempotencyKey)) continue;
      await this.ledger.assignJob(open.batchId, job.id);
      log.info({ batchId: open.batchId, files: still.length }, 'open batch adopted by its finished job');
      break;
    }
    // Read again: the watcher may have written the job id meanwhile (then the batch was no longer open).
    return this.ledger.jobLandings(job.id);
  }

  /** Archives, deletes or keeps the landing's own file; 'replaced' when a newer file is at its path now (left there). */
  private async afterSuccess(after: After, landing: LandingRecord): Promise<'replaced' | undefined> {
    const deps = { ledger: this.ledger, files: this.files };
    if (after.on_success === 'delete') {
      return (await this.files.remove(landing.uri, await recordedVersion(this.ledger, landing))) === 'changed' ? 'replaced' : undefined;
    }
    if (after.on_success === 'archive' && after.archive) return (await putAway(deps, after.archive, landing)).outcome === 'replaced' ? 'replaced' : undefined;
    return undefined;
  }
}
