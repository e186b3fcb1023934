// Groups one pipeline's ready landings into jobs. A batch opens with its first file and
// closes when it holds max_files, when the next file would pass max_bytes (or one file alone
// reaches it), or max_wait after its first file. Closing:
//
//   claim in the ledger (only still-ready files move; another process may have won some)
//     ──► submit(files, idempotency key from the sorted fingerprints) ──► job id on the batch
//
// The key depends only on which files were claimed, and on each one's generation (how many
// times it went back to ready: released from a failed batch, or re-admitted after a fix), so
// submitting the same batch again (after a crash between claim and job id, or a failed
// submit) returns the same job, while a landing batched again after its job failed makes a
// new job rather than replaying the failed one. Such batches stay "open" in the ledger and
// recover() submits them again; it is safe to run in every process. A job whose finish step
// runs while its batch is still open (the watcher died before writing the job id) adopts the
// batch itself (landing-finalizer.ts). Clock and submit are injected; tick() is driven by the
// caller's timer.
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { LandingLedger } from './landing-ledger.ts';
import type { Batch } from '../broker/core/landing-config.ts';

/** `generation`: how many times the landing went back to ready (set from the ledger at claim; 0 when absent). */
export type BatchFile = { fingerprint: string; source: string; uri: string; size: number; generation?: number };

export type CloseReason = 'max_files' | 'max_bytes' | 'max_wait' | 'recovered';

export type ClosedBatch = {
  pipeline: string;
  batchId: string;
  /** Sorted by uri, so that a repeated submit sends the same request body. */
  files: BatchFile[];
  idempotencyKey: string;
  reason: CloseReason;
};

/** Hands the batch to jobs.submit(); returns the job's id (the existing job on a replay). */
export type SubmitBatch = (batch: ClosedBatch) => Promise<{ jobId: string }>;

export type BatcherLedger = Pick<LandingLedger, 'claimBatch' | 'assignJob' | 'openBatches' | 'batchLandings' | 'dropBatch'>;

export type BatcherOptions = {
  pipeline: string;
  limits: Batch;
  ledger: BatcherLedger;
  submit: SubmitBatch;
  log: Logger;
  now?: () => number;
  newBatchId?: () => string;
};

/**
 * "landing:<pipeline>:<hash of the sorted fingerprints>", within jobs-service's key alphabet. A
 * landing of generation n > 0 enters the hash as "<fingerprint>#<n>", so that its batch after a
 * release or a re-admit is a new job (generation 0 hashes as the fingerprint alone, as before).
 */
export function batchIdempotencyKey(pipeline: string, landings: ReadonlyArray<string | { fingerprint: string; generation?: number | undefined }>): string {
  const parts = landings.map((landing) =>
    typeof landing === 'string' ? landing : landing.generation ? `${landing.fingerprint}#${landing.generation}` : landing.fingerprint,
  );
  const digest = createHash('sha256').update(parts.sort().join('\n')).digest('hex');
  return `landing:${pipeline}:${digest.slice(0, 48)}`;
}

export class Batcher {
  private open = new Map<string, BatchFile>();
  private openBytes = 0;
  private openedAt = 0;
  /** Closes run one at a time, in order: add() and tick() wait for the close before them. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private readonly newBatchId: () => string;

  constructor(private readonly options: BatcherOptions) {
    this.now = options.now ?? Date.now;
    this.newBatchId = options.newBatchId ?? (() => randomBytes(12).toString('hex'));
  }

  /** Files in the open batch (not yet claimed). */
  get size(): number {
    return this.open.size;
  }

  /** When the open batch closes by max_wait, or undefined when none is open. */
  nextDeadline(): number | undefined {
    return this.open.size > 0 ? this.openedAt + this.options.limits.max_wait : undefined;
  }

  /** Adds a ready landing; resolves with the batches this closed (none, one, or two). */
  add(file: BatchFile): Promise<ClosedBatch[]> {
    return this.submitClaimed(
      this.serial(async () => {
        if (this.open.has(file.fingerprint)) return [];
        const { max_files: maxFiles, max_bytes: maxBytes } = this.options.limits;
        const claimed: ClosedBatch[] = [];
        if (this.open.size > 0 && this.openBytes + file.size > maxBytes) await this.pushClaimed(claimed, 'max_bytes');
        if (this.open.size === 0) this.openedAt = this.now();
        this.open.set(file.fingerprint, file);
        this.openBytes += file.size;
        if (this.open.size >= maxFiles) await this.pushClaimed(claimed, 'max_files');
        else if (this.openBytes >= maxBytes) await this.pushClaimed(claimed, 'max_bytes');
        return claimed;
      }),
    );
  }

  /** Closes the open batch when max_wait has passed since its first file. */
  tick(): Promise<ClosedBatch[]> {
    return this.submitClaimed(
      this.serial(async () => {
        const deadline = this.nextDeadline();
        if (deadline === undefined || this.now() < deadline) return [];
        const claimed: ClosedBatch[] = [];
        await this.pushClaimed(claimed, 'max_wait');
        return claimed;
      }),
    );
  }

  /**
   * Submits again the batches claimed at least `olderThanMs` ago that hold no job (their
   * claimer died, or submit failed). The same files give the same key, so a claimer that is
   * merely slow ends up with the same job, not a second one.
   */
  recover(olderThanMs: number): Promise<ClosedBatch[]> {
    return this.serial(async () => {
      const recovered: ClosedBatch[] = [];
      for (const open of await this.options.ledger.openBatches(olderThanMs, 100, this.options.pipeline)) {
        const landings = await this.options.ledger.batchLandings(open);
        if (landings.length === 0) {
          await this.options.ledger.dropBatch(open.batchId);
          continue;
        }
        const files = landings.map(({ fingerprint, source, uri, size, generation }) => ({ fingerprint, source, uri, size, generation: generation ?? 0 }));
        const batch = this.batchOf(open.batchId, files, 'recovered');
        if (await this.submitAndAssign(batch)) recovered.push(batch);
      }
      return recovered;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async pushClaimed(claimed: ClosedBatch[], reason: CloseReason): Promise<void> {
    const batch = await this.claim(reason);
    if (batch) claimed.push(batch);
  }

  /**
   * Submits claimed batches outside the serial section: the next close need not wait for
   * this one's job to be written (with Redis fsyncing every write, a serial chain caps the
   * batches closed per second). Resolves with the batches whose job is recorded.
   */
  private async submitClaimed(claiming: Promise<ClosedBatch[]>): Promise<ClosedBatch[]> {
    const claimed = await claiming;
    const submitted = await Promise.all(claimed.map((batch) => this.submitAndAssign(batch)));
    return claimed.filter((_, index) => submitted[index]);
  }

  private batchOf(batchId: string, files: BatchFile[], reason: CloseReason): ClosedBatch {
    const sorted = [...files].sort((a, b) => (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0));
    return {
      pipeline: this.options.pipeline,
      batchId,
      files: sorted,
      idempotencyKey: batchIdempotencyKey(this.options.pipeline, sorted),
      reason,
    };
  }

  /** Closes the open batch: claims its files in the ledger (another process may have some). */
  private async claim(reason: CloseReason): Promise<ClosedBatch | undefined> {
    const { ledger, log, pipeline } = this.options;
    const files = [...this.open.values()];
    this.open = new Map();
    this.openBytes = 0;
    const batchId = this.newBatchId();
    const claimed = new Map((await ledger.claimBatch(files.map((file) => file.fingerprint), batchId, { pipeline })).map((landing) => [landing.fingerprint, landing.generation]));
    if (claimed.size === 0) {
      log.debug({ pipeline, files: files.length, reason }, 'batch closed with nothing to claim');
      return undefined;
    }
    const batch = this.batchOf(
      batchId,
      files.filter((file) => claimed.has(file.fingerprint)).map((file) => ({ ...file, generation: claimed.get(file.fingerprint)! })),
      reason,
    );
    log.info({ pipeline, batchId, files: batch.files.length, lost: files.length - claimed.size, reason }, 'batch closed');
    return batch;
  }

  /** Submits; on failure the batch stays claimed and open in the ledger, for recover(). */
  private async submitAndAssign(batch: ClosedBatch): Promise<boolean> {
    const { ledger, log, submit } = this.options;
    try {
      const { jobId } = await submit(batch);
      await ledger.assignJob(batch.batchId, jobId);
      log.info({ pipeline: batch.pipeline, batchId: batch.batchId, jobId, files: batch.files.length }, 'batch submitted');
      return true;
    } catch (error) {
      log.warn({ pipeline: batch.pipeline, batchId: batch.batchId, err: error }, 'batch submit failed; recover() retries it');
      return false;
    }
  }
}
